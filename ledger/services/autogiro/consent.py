"""The consent a donor gives on the gift form for a monthly gift by Autogiro, in full.

Bankgirot's mandate rules ask the payee to show the payer the terms of the mandate before it
is given and to keep them: the text below is shown on the form and stored with each mandate
(``autogiro_mandates.consent_text``), with the payee's name and bankgiro number filled in. It
follows the parts of Bankgirot's "Medgivande till betalning via Autogiro" (the mandate, the
notice before each debit, funds on the account, withdrawing the mandate, the end of the
service, personal data) in this organisation's words; before going live the organisation
checks it against Bankgirot's current terms (docs/autogiro.md). The text is marked with ``N_``
so the web layer can show it in the donor's language (the English is in the web app's catalog);
the text stored with a mandate is the one the donor was shown.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["VERSION", "consent_text"]

VERSION = "2026-12"


def N_(message: str) -> str:
    """Marks a message for translation where it is shown, not where it is made."""
    return message


_TEXT = N_("""\
Medgivande till betalning via Autogiro (villkor {version})

Jag, betalaren, medger att {payee} (bankgiro {bankgiro}), betalningsmottagaren, får dra \
betalningar från det bankkonto jag anger, eller ett konto jag senare anger, via Autogiro. \
Min bank (betaltjänstleverantör) ska godkänna att kontot får användas för Autogiro, och \
betalningsmottagaren ska godkänna mig som användare av Autogiro.

Meddelande före uttag: betalningsmottagaren talar om belopp, förfallodag och betalningssätt \
senast åtta bankdagar före förfallodagen. För min månadsgåva sker det en gång, här och i \
bekräftelsen med e-post: samma belopp varje månad på förfallodagen, tills jag avslutar \
gåvan. Meddelande om uttaget får jag från min bank.

Täckning: pengarna ska finnas på kontot senast klockan 00.01 på förfallodagen. Finns de inte \
där kan betalningsmottagaren försöka igen de närmast följande bankdagarna.

Återkallelse: jag kan när som helst återkalla medgivandet, med länken i mina kvitton, hos \
betalningsmottagaren eller hos min bank. För att stoppa ett uttag som inte gjorts än ska \
återkallelsen vara betalningsmottagaren till handa senast fem bankdagar före förfallodagen, \
eller min bank senast bankdagen före förfallodagen. Jag kan också stoppa ett enskilt uttag \
hos betalningsmottagaren eller banken inom samma tider.

Upphörande: medgivandet gäller tills vidare. Min bank och betalningsmottagaren får avsluta \
min anslutning till Autogiro trettio dagar efter att ha meddelat mig. De får avsluta den \
genast om kontot vid upprepade tillfällen saknat täckning på förfallodagen, om kontot \
avslutas, eller om betalningsmottagaren bedömer att jag inte bör vara ansluten.

Personuppgifter: mitt personnummer eller organisationsnummer, clearing- och kontonummer \
behandlas av betalningsmottagaren, av Bankgirocentralen BGC AB och av min bank för att \
Autogiro ska fungera. Betalningsmottagaren sparar dem krypterade och använder dem bara till \
mina betalningar via Autogiro.
""")


def consent_text(payee: str, bankgiro: str, translate: Callable[[str], str] = N_) -> str:
    """The consent as the donor reads and gives it, for this payee and bankgiro number, in
    the language ``translate`` gives it (Swedish unless told)."""
    return translate(_TEXT).format(version=VERSION, payee=payee, bankgiro=bankgiro)
