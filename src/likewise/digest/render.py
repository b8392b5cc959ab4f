"""Digest and confirmation mails as real multipart (text + HTML) RFC 5322 messages.

Every digest carries `List-Unsubscribe` (the signed HTTPS link) and `List-Unsubscribe-Post:
List-Unsubscribe=One-Click` (RFC 8058), so mail clients can unsubscribe with one POST; all
links are built from the `base_url` setting. The Message-ID is fixed when the mail is composed,
so a re-sent copy is recognisably the same message.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from likewise.digest.choose import DigestPlan
from likewise.digest.plan import cut_at_word
from likewise.digest.tokens import CONFIRM, MANAGE, UNSUBSCRIBE, LinkSigner
from likewise.store.digests import Subscriber, utc_now

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Headers given with set_raw are written as given: the default policy would turn a URL longer
# than one line into RFC 2047 encoded words, which RFC 8058 clients cannot read as a URL.
_AS_GIVEN = default.clone(refold_source="none")


@dataclass(frozen=True, slots=True)
class ComposedMail:
    recipient: str
    subject: str
    message_id: str
    message: str  # the whole message, ready for SMTP


class SubscriberLinks:
    """Every URL a mail or page shows one subscriber, signed for that subscriber."""

    def __init__(self, base_url: str, signer: LinkSigner, subscriber: Subscriber) -> None:
        self.base = base_url.rstrip("/")

        def signed(purpose: str) -> str:
            return signer.sign(purpose, subscriber.id, subscriber.token)

        self.confirm = f"{self.base}/subscriptions/confirm/{signed(CONFIRM)}"
        self.manage = f"{self.base}/subscriptions/manage/{signed(MANAGE)}"
        self.unsubscribe = f"{self.base}/subscriptions/unsubscribe/{signed(UNSUBSCRIBE)}"
        self.feed = f"{self.base}/subscriptions/feed/{subscriber.feed_token}.atom"

    def paper(self, arxiv_id: str) -> str:
        return f"{self.base}/papers/{quote(arxiv_id, safe='/')}"


def _excerpt(text: str, limit: int = 320) -> str:
    return cut_at_word(text, limit, " …")


def _authors(names: list[str], shown: int = 6) -> str:
    if len(names) <= shown:
        return ", ".join(names)
    return ", ".join(names[:shown]) + f" and {len(names) - shown} more"


def _environment(html: bool) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=html,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["excerpt"] = _excerpt
    environment.filters["authors"] = _authors
    environment.filters["oneline"] = lambda text: " ".join(str(text).split())
    return environment


_TEXT, _HTML = _environment(False), _environment(True)


def _domain(base_url: str) -> str:
    return urlsplit(base_url).hostname or "localhost"


def _message(
    *, sender: str, recipient: str, subject: str, base_url: str, text: str, html: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(utc_now())
    message["Message-ID"] = make_msgid(domain=_domain(base_url))
    message["Auto-Submitted"] = "auto-generated"
    # Quoted-printable keeps every line under SMTP's limit, whatever the HTML's line lengths.
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    return message


def _plain_header_value(value: str) -> bool:
    return value.isascii() and value.isprintable() and " " not in value and len(value) < 900


def _composed(message: EmailMessage) -> ComposedMail:
    return ComposedMail(
        recipient=str(message["To"]),
        subject=str(message["Subject"]),
        message_id=str(message["Message-ID"]),
        message=message.as_string(policy=_AS_GIVEN),
    )


def digest_subject(plan: DigestPlan) -> str:
    count = plan.paper_count
    noun = "paper" if count == 1 else "papers"
    span = (
        plan.window_end.isoformat()
        if plan.window_start == plan.window_end
        else f"{plan.window_start.isoformat()} to {plan.window_end.isoformat()}"
    )
    return f"likewise: {count} new {noun} for you ({span})"


def render_digest_parts(plan: DigestPlan, links: SubscriberLinks) -> tuple[str, str]:
    """(text, html) bodies; also what `likewise digest preview` prints."""
    heading = digest_subject(plan).removeprefix("likewise: ")
    themes = len(plan.themes)
    intro = (
        f"New on arXiv that matches what you follow, in {themes} "
        f"{'theme' if themes == 1 else 'themes'}."
    )
    values = {"plan": plan, "links": links, "heading": heading, "intro": intro}
    return (
        _TEXT.get_template("digest.txt").render(values),
        _HTML.get_template("digest.html").render(values),
    )


def render_digest(plan: DigestPlan, links: SubscriberLinks, sender: str) -> ComposedMail:
    text, html = render_digest_parts(plan, links)
    message = _message(
        sender=sender,
        recipient=plan.subscriber.email,
        subject=digest_subject(plan),
        base_url=links.base,
        text=text,
        html=html,
    )
    message["List-Id"] = f"likewise digest <digest.{_domain(links.base)}>"
    unsubscribe = f"<{links.unsubscribe}>"
    if _plain_header_value(unsubscribe):
        # One unfolded line (RFC 5322 allows 998 characters): `<URL>` as is, as RFC 8058 wants.
        message.set_raw("List-Unsubscribe", unsubscribe)
    else:  # a base_url with spaces or non-ASCII: encoded, but never a broken header
        message["List-Unsubscribe"] = unsubscribe
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return _composed(message)


def render_confirmation(
    subscriber: Subscriber, links: SubscriberLinks, sender: str
) -> ComposedMail:
    values = {"email": subscriber.email, "links": links, "site": links.base}
    message = _message(
        sender=sender,
        recipient=subscriber.email,
        subject="Confirm your likewise digest subscription",
        base_url=links.base,
        text=_TEXT.get_template("confirm.txt").render(values),
        html=_HTML.get_template("confirm.html").render(values),
    )
    return _composed(message)
