"""Independent certificates (residuals, exploitability, leader checks) and cross-method agreement."""

from smfe.certify.agree import AgreeTolerances, Agreement, agree
from smfe.certify.certificate import Certificate, Tolerances, certify

__all__ = ["AgreeTolerances", "Agreement", "Certificate", "Tolerances", "agree", "certify"]
