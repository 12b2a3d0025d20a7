"""The mail identity sends. Texts only; the mail port delivers them."""

from __future__ import annotations

from carehub.identity.model import OtpPurpose
from carehub.kernel.mail import MailMessage


def code_mail(email: str, code: str, purpose: OtpPurpose) -> MailMessage:
    what = "confirm your carehub account" if purpose is OtpPurpose.SIGNUP else "sign in to carehub"
    text = (
        f"Your code to {what} is {code}.\n\n"
        "It is valid for 10 minutes and can be used once. If you did not ask for it, "
        "ignore this message.\n"
    )
    return MailMessage(
        to=email, subject="Your carehub code", text=text, purpose=f"identity.otp.{purpose}"
    )


def account_exists_mail(email: str) -> MailMessage:
    text = (
        "Someone tried to create a carehub account with this email address, which already "
        "has one. If it was you, sign in instead. If not, you can ignore this message.\n"
    )
    return MailMessage(
        to=email, subject="Your carehub account", text=text, purpose="identity.signup_exists"
    )
