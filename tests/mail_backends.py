"""E-mail backends that fail as mail servers do, for the tests of failed notification e-mails. Both deliver every
other message into Django's locmem outbox (mail.outbox), as the test runner's backend does.

A test chooses one with settings.MAILERS (the `failing_mail` fixture of tests/test_notifications.py): the backend
is made anew for each message, in the test's process and in a worker running in a thread of it, so what fails is
kept on the class, and the fixture empties it again.
"""

import smtplib
from collections.abc import Sequence
from typing import ClassVar

from django.core.mail import EmailMessage
from django.core.mail.backends import locmem


class RefusingBackend(locmem.EmailBackend):
    """Refuses these addresses for good, as a server answering 550 to RCPT TO does (SMTPRecipientsRefused)."""

    refused: ClassVar[set[str]] = set()

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        for message in messages:
            refused = {
                address: (550, f"5.1.1 <{address}>: Recipient address rejected: User unknown".encode())
                for address in message.recipients()
                if address in self.refused
            }
            if refused:
                raise smtplib.SMTPRecipientsRefused(refused)
        return int(super().send_messages(messages))


class FlakyBackend(locmem.EmailBackend):
    """Loses the connection on the first sends to these addresses (address: how many times), as a server out of
    reach for a while does (SMTPServerDisconnected); sends after that go. Counts every send to each address."""

    failing: ClassVar[dict[str, int]] = {}
    tries: ClassVar[dict[str, int]] = {}

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        for message in messages:
            for address in message.recipients():
                self.tries[address] = self.tries.get(address, 0) + 1
                if self.tries[address] <= self.failing.get(address, 0):
                    raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return int(super().send_messages(messages))
