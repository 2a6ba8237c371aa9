"""Independent certificates (residuals, exploitability, leader checks) and agreement."""

from smfe.certify.agree import Agreement, AgreeTolerances, agree
from smfe.certify.certificate import Certificate, Tolerances, certify

__all__ = ["AgreeTolerances", "Agreement", "Certificate", "Tolerances", "agree", "certify"]
