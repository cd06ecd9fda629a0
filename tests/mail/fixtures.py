"""Mail as real clients write it (raw RFC 5322 text, CRLF line ends), for the email tests."""

from __future__ import annotations

import base64

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def crlf(text: str) -> bytes:
    return text.lstrip("\n").replace("\r\n", "\n").replace("\n", "\r\n").encode()


def first_mail(to: str, *, message_id: str = "m1@example.com", body: str = "My order 1234 never arrived.") -> bytes:
    return crlf(f"""
From: Wu Lei <wu.lei@example.com>
To: {to}
Subject: Where is my order?
Message-ID: <{message_id}>
Date: Mon, 07 Dec 2026 09:00:00 +0800
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

{body}
""")


def outlook_reply(to: str, subject: str) -> bytes:
    """Outlook without In-Reply-To or References (Thread-Index only), quoting with its header block."""
    return crlf(f"""
From: Wu Lei <wu.lei@example.com>
To: {to}
Subject: RE: {subject}
Message-ID: <AM0PR01MB1234@eurprd01.prod.outlook.com>
Thread-Index: AQHZ1234abcd
Date: Mon, 07 Dec 2026 10:00:00 +0800
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Still nothing, can you check again?

From: Support <support@example.test>
Sent: Monday, December 7, 2026 9:30 AM
To: Wu Lei <wu.lei@example.com>
Subject: Re: Where is my order?

We are looking into it.
""")


def apple_reply(to: str, in_reply_to: str, references: str) -> bytes:
    """Apple Mail: HTML with an inline image (cid:), a plain alternative, and a quoted history."""
    png = base64.b64encode(PNG).decode()
    return crlf(f"""
From: Wu Lei <wu.lei@example.com>
To: {to}
Subject: Re: Where is my order?
Message-ID: <A1B2C3D4-apple@example.com>
In-Reply-To: <{in_reply_to}>
References: {references}
Date: Mon, 07 Dec 2026 11:00:00 +0800
MIME-Version: 1.0
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8

Here is the label.

On 7 Dec 2026, at 09:30, Support wrote:
> We are looking into it.

--alt
Content-Type: text/html; charset=utf-8

<html><body><p onclick="steal()">Here is the label.</p><img src="cid:label@apple"><script>alert(1)</script>
<blockquote>We are looking into it.</blockquote></body></html>
--alt--

--rel
Content-Type: image/png; name="label.png"
Content-ID: <label@apple>
Content-Disposition: inline; filename="label.png"
Content-Transfer-Encoding: base64

{png}
--rel--
""")


def list_mail(to: str) -> bytes:
    return crlf(f"""
From: News <news@lists.example.com>
To: {to}
Subject: Our weekly news
Message-ID: <news-1@lists.example.com>
List-Id: <news.lists.example.com>
List-Unsubscribe: <mailto:leave@lists.example.com>
Precedence: list
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

This week: nothing.
""")


def out_of_office(to: str) -> bytes:
    return crlf(f"""
From: Ann Away <ann@partner.example.com>
To: {to}
Subject: Automatic reply: Your ticket
Message-ID: <ooo-1@partner.example.com>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

I am out of the office until Monday.
""")


def bounce(to: str, failed_id: str) -> bytes:
    return crlf(f"""
From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
To: {to}
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-1@mx.example.com>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"

--dsn
Content-Type: text/plain; charset=utf-8

Your message could not be delivered.

--dsn
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; nobody@example.com
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.com>: Recipient address rejected

--dsn
Content-Type: text/rfc822-headers

From: support@example.test
To: nobody@example.com
Subject: Re: Where is my order?
Message-ID: <{failed_id}>

--dsn--
""")


def forwarded(to: str) -> bytes:
    return crlf(f"""
From: Boss <boss@example.com>
To: {to}
Subject: Fwd: Complaint
Message-ID: <fwd-1@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Please handle this one.

---------- Forwarded message ---------
From: Angry Customer <angry@example.org>
Subject: Complaint

Nobody answers my calls!
""")
