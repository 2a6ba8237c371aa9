"""Independent certificates (residuals, exploitability, leader checks) and agreement."""

from smfe.certification.agree import Agreement, AgreeTolerances, agree
from smfe.certification.certificate import Certificate, Tolerances
from smfe.certification.of_result import certify

__all__ = ["AgreeTolerances", "Agreement", "Certificate", "Tolerances", "agree", "certify"]
