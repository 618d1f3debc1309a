"""The threat library shipped with the product, and the rules that suggest its entries for a component or flow.

Each entry is one threat statement ("A [source] [prerequisites] can [action], which leads to [impact],
resulting in reduced [goals] of [assets]") with the conditions under which it applies, a suggested control
and CWE or CAPEC references. Keys are stable: once shipped, a key never changes, because saved threats refer
to the entry they came from.

Pure Python, no Django: the app describes a component or flow as a `Target` and asks `applicable()`.
"""

import re
from dataclasses import dataclass

ACTOR = "actor"
PROCESS = "process"
DATA_STORE = "data_store"
EXTERNAL_SERVICE = "external_service"
FLOW = "flow"
COMPONENT_KINDS: tuple[str, ...] = (ACTOR, PROCESS, DATA_STORE, EXTERNAL_SERVICE)
TARGET_KINDS: tuple[str, ...] = (*COMPONENT_KINDS, FLOW)

STRIDE: tuple[str, ...] = ("S", "T", "R", "I", "D", "E")
GOALS: tuple[str, ...] = (
    "confidentiality",
    "integrity",
    "availability",
    "authenticity",
    "non_repudiation",
    "authorisation",
)
CONTROL_KINDS: tuple[str, ...] = ("preventive", "detective", "corrective")

_REFERENCE = re.compile(r"^(CWE|CAPEC)-\d+$")
_GOAL_WORDS = {"non_repudiation": "non-repudiation"}


@dataclass(frozen=True)
class SuggestedControl:
    title: str
    description: str
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in CONTROL_KINDS:
            raise ValueError(f"Unknown control kind {self.kind!r}")


@dataclass(frozen=True)
class Conditions:
    """When an entry applies. Every given condition must hold.

    `crosses_boundary`, `encrypted` and `authenticated` describe flows; None means either. When
    `technology_keywords` is not empty, the component's technology (or the flow's protocol) must contain one
    of them, ignoring case.
    """

    targets: frozenset[str]
    crosses_boundary: bool | None = None
    encrypted: bool | None = None
    authenticated: bool | None = None
    technology_keywords: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.targets or not self.targets <= set(TARGET_KINDS):
            raise ValueError(f"Targets must be component kinds or 'flow', not {sorted(self.targets)}")
        if FLOW in self.targets and len(self.targets) > 1:
            raise ValueError("An entry applies either to flows or to components, never to both")
        flow_only = (self.crosses_boundary, self.encrypted, self.authenticated)
        if FLOW not in self.targets and any(value is not None for value in flow_only):
            raise ValueError("Boundary, encryption and authentication conditions apply to flows only")


@dataclass(frozen=True)
class LibraryEntry:
    key: str
    title: str
    stride: tuple[str, ...]
    threat_source: str
    prerequisites: str
    threat_action: str
    threat_impact: str
    impacted_goals: tuple[str, ...]
    conditions: Conditions
    control: SuggestedControl
    references: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.stride or not set(self.stride) <= set(STRIDE):
            raise ValueError(f"{self.key}: STRIDE letters must be among {STRIDE}")
        if not self.impacted_goals or not set(self.impacted_goals) <= set(GOALS):
            raise ValueError(f"{self.key}: impacted goals must be among {GOALS}")
        if not self.references or not all(_REFERENCE.match(reference) for reference in self.references):
            raise ValueError(f"{self.key}: references must be CWE-n or CAPEC-n")

    def statement(self, assets: str) -> str:
        """The entry as a threat statement about the given assets."""
        goals = [_GOAL_WORDS.get(goal, goal) for goal in self.impacted_goals]
        goal_text = goals[0] if len(goals) == 1 else f"{', '.join(goals[:-1])} and {goals[-1]}"
        return (
            f"{_with_article(self.threat_source)} {self.prerequisites} can {self.threat_action}, "
            f"which leads to {self.threat_impact}, resulting in reduced {goal_text} of {assets}"
        )


@dataclass(frozen=True)
class Target:
    """What suggestions are asked for: a component or a flow, described by plain values."""

    kind: str
    technology: str = ""
    crosses_boundary: bool = False
    encrypted: bool = False
    authenticated: bool = False


def _with_article(noun_phrase: str) -> str:
    starts_with_vowel_sound = noun_phrase[:1] in "aeio" or noun_phrase.startswith("un")
    return f"{'An' if starts_with_vowel_sound else 'A'} {noun_phrase}"


_ACTOR = frozenset({ACTOR})
_PROCESS = frozenset({PROCESS})
_DATA_STORE = frozenset({DATA_STORE})
_EXTERNAL_SERVICE = frozenset({EXTERNAL_SERVICE})
_FLOW = frozenset({FLOW})

# Technology keywords match as substrings of the component's technology or the flow's protocol, so they are
# chosen to be distinctive: "sql" also matches "PostgreSQL" and "MySQL", and "http" matches "HTTPS".
_WEB_APP = frozenset(
    {
        "http",
        "web",
        "html",
        "browser",
        "django",
        "flask",
        "rails",
        "laravel",
        "php",
        "spring",
        "asp.net",
        "express",
        "next.js",
        "react",
        "angular",
        "vue",
    }
)
_API = _WEB_APP | {"api", "rest", "graphql", "grpc"}
_TOKEN_KEYWORDS = frozenset({"jwt", "oauth", "oidc", "openid", "saml", "jws"})
_LDAP_KEYWORDS = frozenset({"ldap", "active directory"})
_TEMPLATE_KEYWORDS = frozenset(
    {"template", "jinja", "twig", "freemarker", "velocity", "thymeleaf", "handlebars", "mustache", "liquid"}
)
_LLM_KEYWORDS = frozenset(
    {"llm", "language model", "gpt", "openai", "anthropic", "claude", "gemini", "langchain", "chatbot"}
)
_XML_KEYWORDS = frozenset({"xml", "soap", "saml", "svg", "docx", "xlsx"})
_GRAPHQL_KEYWORDS = frozenset({"graphql"})
_CONTAINER_KEYWORDS = frozenset({"docker", "kubernetes", "k8s", "container", "openshift", "ecs"})
_SQL_KEYWORDS = frozenset({"sql", "postgres", "mysql", "mariadb", "oracle", "db2", "aurora", "cockroach"})
_NOSQL_KEYWORDS = frozenset(
    {
        "mongo",
        "couchdb",
        "dynamodb",
        "cosmos",
        "firestore",
        "cassandra",
        "nosql",
        "elasticsearch",
        "opensearch",
    }
)
_NETWORK_STORE_KEYWORDS = frozenset(
    {
        "redis",
        "valkey",
        "memcache",
        "elasticsearch",
        "opensearch",
        "solr",
        "mongo",
        "couchdb",
        "cassandra",
        "etcd",
    }
)
_OBJECT_STORAGE_KEYWORDS = frozenset(
    {"s3", "bucket", "blob", "gcs", "cloud storage", "object storage", "minio", "azure storage"}
)
_QUEUE_KEYWORDS = frozenset(
    {"queue", "kafka", "rabbitmq", "amqp", "sqs", "pubsub", "pub/sub", "nats", "mqtt", "service bus"}
)
_WEBHOOK_KEYWORDS = frozenset(
    {"webhook", "callback", "stripe", "paypal", "adyen", "github", "gitlab", "twilio", "slack", "shopify"}
)
_EMAIL_KEYWORDS = frozenset({"mail", "smtp", "amazon ses"})
_IDENTITY_PROVIDER_KEYWORDS = frozenset(
    {
        "identity provider",
        "idp",
        "sso",
        "oidc",
        "openid",
        "saml",
        "okta",
        "entra",
        "azure ad",
        "auth0",
        "keycloak",
        "cognito",
    }
)
_SCRIPT_KEYWORDS = frozenset({"javascript", "script", "sdk", "cdn", "analytics", "tag manager", "widget"})
_PACKAGE_KEYWORDS = frozenset(
    {"package", "registry", "pypi", "npm", "maven", "nuget", "rubygems", "crates.io", "docker hub"}
)
_PAYMENT_KEYWORDS = frozenset({"payment", "stripe", "paypal", "adyen", "braintree", "checkout", "card"})
_HTTP_KEYWORDS = frozenset({"http", "rest", "graphql", "soap", "web"})
_WEBSOCKET_KEYWORDS = frozenset({"websocket", "socket.io", "wss"})
_FILE_TRANSFER_KEYWORDS = frozenset({"ftp", "scp", "smb", "nfs", "file transfer", "as2", "batch"})


LIBRARY: tuple[LibraryEntry, ...] = (
    # Actors: people and client devices, impersonated or denying what they did.
    LibraryEntry(
        key="actor-credential-stuffing",
        title="Account takeover by credential stuffing",
        stride=("S",),
        threat_source="external attacker",
        prerequisites="with username and password pairs leaked in breaches of other sites",
        threat_action=(
            "sign in as users who reused those passwords, replaying the pairs at scale from many addresses"
        ),
        threat_impact="takeover of user accounts and actions taken in their owners' names",
        impacted_goals=("authenticity", "confidentiality"),
        conditions=Conditions(targets=_ACTOR),
        control=SuggestedControl(
            title="Require multi-factor authentication and screen passwords against breach corpora",
            description=(
                "Offer or require MFA for every account; reject passwords that appear in known breach lists "
                "(for example through the Have I Been Pwned k-anonymity API) at sign-up and change; detect "
                "bursts of sign-ins across many accounts from shared infrastructure."
            ),
            kind="preventive",
        ),
        references=("CAPEC-600", "CWE-308"),
    ),
    LibraryEntry(
        key="actor-password-guessing",
        title="Online password guessing against a single account",
        stride=("S",),
        threat_source="external attacker",
        prerequisites="who knows or can guess a user's sign-in name",
        threat_action="try common and targeted passwords against that account until one succeeds",
        threat_impact="unauthorised access to the account and everything its owner can see or change",
        impacted_goals=("authenticity", "confidentiality"),
        conditions=Conditions(targets=_ACTOR),
        control=SuggestedControl(
            title="Throttle failed sign-ins per account and per source",
            description=(
                "Apply progressive delays after failed attempts for each account and each source address, "
                "alert on sustained failures, and require passwords of at least 12 characters."
            ),
            kind="preventive",
        ),
        references=("CWE-307", "CAPEC-49"),
    ),
    LibraryEntry(
        key="actor-real-time-phishing",
        title="Password and one-time code relayed by a phishing site",
        stride=("S",),
        threat_source="phishing operator",
        prerequisites="who can send convincing e-mails or messages to the system's users",
        threat_action=(
            "lure a user to a look-alike sign-in page that relays their password and one-time code to the "
            "real site as they type"
        ),
        threat_impact=(
            "a live, fully authenticated session in the attacker's hands despite multi-factor authentication"
        ),
        impacted_goals=("authenticity", "confidentiality"),
        conditions=Conditions(targets=_ACTOR),
        control=SuggestedControl(
            title="Offer phishing-resistant authentication with passkeys",
            description=(
                "Support passkeys or FIDO2 security keys, which are bound to the genuine origin and cannot "
                "be relayed by a look-alike site, and require them for administrators."
            ),
            kind="preventive",
        ),
        references=("CAPEC-98",),
    ),
    LibraryEntry(
        key="actor-account-recovery-abuse",
        title="Account takeover through a weak password-reset process",
        stride=("S",),
        threat_source="external attacker",
        prerequisites="who can research or guess the facts that the account-recovery process relies on",
        threat_action="reset the victim's password through the recovery flow and lock the real owner out",
        threat_impact="loss of the account to the attacker and a victim unable to regain access",
        impacted_goals=("authenticity", "availability"),
        conditions=Conditions(targets=_ACTOR),
        control=SuggestedControl(
            title="Recover accounts only through a verified channel with single-use, expiring links",
            description=(
                "Send a random, single-use reset link valid for at most an hour to the verified e-mail "
                "address, drop security questions, notify the user of every reset and revoke existing "
                "sessions afterwards."
            ),
            kind="preventive",
        ),
        references=("CWE-640", "CAPEC-50"),
    ),
    LibraryEntry(
        key="actor-support-desk-pretexting",
        title="Support staff talked into changing a victim's sign-in details",
        stride=("S",),
        threat_source="social engineer",
        prerequisites="who can reach the support desk by phone or chat and knows public facts about a victim",
        threat_action=(
            "persuade support staff to change the e-mail address or remove the second factor on the victim's "
            "account"
        ),
        threat_impact="takeover of the account with the organisation's own staff as unwitting accomplices",
        impacted_goals=("authenticity", "authorisation"),
        conditions=Conditions(targets=_ACTOR),
        control=SuggestedControl(
            title="Verify identity through an existing channel before support changes sign-in details",
            description=(
                "Give the support desk a scripted check that uses something the real user holds (a code sent "
                "to the existing verified address), delay such changes by 24 hours with a notice to the old "
                "address, and audit every change made by support."
            ),
            kind="preventive",
        ),
        references=("CAPEC-407",),
    ),
    LibraryEntry(
        key="actor-unattended-session",
        title="Data read from an unattended, signed-in device",
        stride=("S", "I"),
        threat_source="colleague or passer-by",
        prerequisites="with physical access to a user's unlocked, signed-in workstation or phone",
        threat_action="browse and copy data through the session the user left open, or act in their name",
        threat_impact="disclosure of data and changes wrongly attributed to the absent user",
        impacted_goals=("confidentiality", "authenticity"),
        conditions=Conditions(targets=_ACTOR),
        control=SuggestedControl(
            title="Expire idle sessions and re-authenticate before sensitive actions",
            description=(
                "Set an idle timeout proportionate to the data (for example 15 to 30 minutes), ask for "
                "credentials again before exports, payments or permission changes, and enforce screen "
                "locking on managed devices."
            ),
            kind="preventive",
        ),
        references=("CWE-613",),
    ),
    LibraryEntry(
        key="actor-denies-action",
        title="User denies having made a change or approval",
        stride=("R",),
        threat_source="legitimate user",
        prerequisites="who made a change or approval that is later disputed",
        threat_action="deny having performed the action, because nothing records who did what and when",
        threat_impact="disputes that cannot be settled and fraud that cannot be proven",
        impacted_goals=("non_repudiation", "integrity"),
        conditions=Conditions(targets=_ACTOR),
        control=SuggestedControl(
            title="Record an audit trail of security-relevant actions",
            description=(
                "Record actor, time, source address, object and before-and-after values for every create, "
                "change, approval and deletion; keep the trail where application users cannot alter it, for "
                "as long as the business needs."
            ),
            kind="detective",
        ),
        references=("CWE-778",),
    ),
    LibraryEntry(
        key="actor-shared-account",
        title="Actions cannot be attributed because an account is shared",
        stride=("R",),
        threat_source="member of a team",
        prerequisites="who signs in with a shared or generic account, such as a common administrator login",
        threat_action="make changes that the audit trail can tie only to the shared account, not to a person",
        threat_impact=(
            "loss of individual accountability and investigations that stall at the shared identity"
        ),
        impacted_goals=("non_repudiation",),
        conditions=Conditions(targets=_ACTOR),
        control=SuggestedControl(
            title="Issue personal accounts and forbid shared interactive logins",
            description=(
                "Give every person their own account; keep unavoidable break-glass credentials in a vault "
                "that records who checked them out, and rotate them after each use."
            ),
            kind="preventive",
        ),
        references=("CWE-223",),
    ),
    LibraryEntry(
        key="actor-lockout-abuse",
        title="Users deliberately locked out of their accounts",
        stride=("D",),
        threat_source="malicious user or external attacker",
        prerequisites="who knows or can enumerate the sign-in names of other users",
        threat_action=(
            "trip the account-lockout rule for each victim by submitting wrong passwords on purpose"
        ),
        threat_impact="legitimate users, administrators among them, unable to sign in when they need to",
        impacted_goals=("availability",),
        conditions=Conditions(targets=_ACTOR),
        control=SuggestedControl(
            title="Throttle instead of locking accounts, and let proven owners through",
            description=(
                "Replace hard lockouts with per-account and per-source delays, let a user who proves control "
                "of their second factor sign in regardless, and alert when many accounts fail from one "
                "source."
            ),
            kind="preventive",
        ),
        references=("CWE-645", "CAPEC-2"),
    ),
    LibraryEntry(
        key="actor-privilege-creep",
        title="Permissions kept after a change of role",
        stride=("E",),
        threat_source="employee or contractor",
        prerequisites="who moved team or finished a project but kept the roles granted for the earlier work",
        threat_action="use access that their current job no longer justifies, deliberately or by mistake",
        threat_impact="data access and changes beyond what the person's current role allows",
        impacted_goals=("authorisation", "confidentiality"),
        conditions=Conditions(targets=_ACTOR),
        control=SuggestedControl(
            title="Tie roles to the joiner, mover and leaver process and review access quarterly",
            description=(
                "Remove team roles automatically when a person leaves a team, have data owners sign off an "
                "access review every quarter, and disable accounts on a leaver's last day."
            ),
            kind="corrective",
        ),
        references=("CWE-269",),
    ),
    # Processes: code that the organisation runs and that handles requests or data.
    LibraryEntry(
        key="process-session-hijacking",
        title="Session hijacking through stolen session tokens",
        stride=("S",),
        threat_source="external attacker",
        prerequisites=(
            "with a victim's session cookie, stolen through cross-site scripting, malware or a shared "
            "computer"
        ),
        threat_action="replay the cookie to impersonate the victim in the application",
        threat_impact="unauthorised actions performed in the victim's name",
        impacted_goals=("authenticity", "authorisation"),
        conditions=Conditions(targets=_PROCESS, technology_keywords=_WEB_APP),
        control=SuggestedControl(
            title="Harden session cookies and let users revoke sessions",
            description=(
                "Mark session cookies Secure, HttpOnly and SameSite=Lax or Strict; rotate the session on "
                "sign-in and on privilege change; enforce idle and absolute timeouts; show users their "
                "active sessions with a way to end them."
            ),
            kind="preventive",
        ),
        references=("CAPEC-593", "CWE-1004"),
    ),
    LibraryEntry(
        key="process-session-fixation",
        title="Session fixation before sign-in",
        stride=("S",),
        threat_source="external attacker",
        prerequisites=(
            "who can plant a known session identifier in the victim's browser, through a crafted link or a "
            "sibling subdomain"
        ),
        threat_action=(
            "wait for the victim to sign in under that identifier and then use the now-authenticated session"
        ),
        threat_impact="access to the victim's account without ever learning their password",
        impacted_goals=("authenticity",),
        conditions=Conditions(targets=_PROCESS, technology_keywords=_WEB_APP),
        control=SuggestedControl(
            title="Issue a new session identifier at sign-in",
            description=(
                "Discard any pre-authentication session and issue a fresh identifier on successful sign-in, "
                "and refuse session identifiers passed in URLs."
            ),
            kind="preventive",
        ),
        references=("CWE-384", "CAPEC-61"),
    ),
    LibraryEntry(
        key="process-identity-token-forgery",
        title="Forged identity tokens accepted without signature checks",
        stride=("S", "E"),
        threat_source="external attacker",
        prerequisites="who can present a bearer token or identity assertion to the service",
        threat_action=(
            "craft a token with altered claims, an 'alg: none' header or a key the service wrongly trusts, "
            "and have it accepted"
        ),
        threat_impact="sign-in as any user, administrators included, without credentials",
        impacted_goals=("authenticity", "authorisation"),
        conditions=Conditions(targets=_PROCESS, technology_keywords=_TOKEN_KEYWORDS),
        control=SuggestedControl(
            title="Verify token signatures with a pinned algorithm and the issuer's keys",
            description=(
                "Verify every token with a maintained library, allow only the expected algorithm, take keys "
                "only from the configured issuer's key set, and check issuer, audience, expiry and "
                "not-before."
            ),
            kind="preventive",
        ),
        references=("CWE-347",),
    ),
    LibraryEntry(
        key="process-missing-authentication",
        title="Sensitive function reachable without authentication",
        stride=("S", "E"),
        threat_source="external attacker",
        prerequisites="who discovers an internal, administrative or debugging endpoint of the service",
        threat_action=(
            "call that endpoint without credentials, because the service assumes only trusted clients can "
            "reach it"
        ),
        threat_impact="administrative operations and data open to anyone who can reach the service",
        impacted_goals=("authorisation", "confidentiality", "integrity"),
        conditions=Conditions(targets=_PROCESS),
        control=SuggestedControl(
            title="Deny by default and require authentication on every route",
            description=(
                "Enforce authentication in middleware for every route, list the few deliberately public "
                "routes explicitly, and add a test that fails when a new route answers without "
                "authentication."
            ),
            kind="preventive",
        ),
        references=("CWE-306",),
    ),
    LibraryEntry(
        key="process-predictable-tokens",
        title="Predictable reset, invitation or session tokens",
        stride=("S",),
        threat_source="external attacker",
        prerequisites="who can request tokens for their own account and compare them",
        threat_action="predict the tokens issued to other users from the pattern in the ones they receive",
        threat_impact="password resets, invitations or sessions of other users taken over",
        impacted_goals=("authenticity",),
        conditions=Conditions(targets=_PROCESS),
        control=SuggestedControl(
            title="Generate secrets with a cryptographically secure random generator",
            description=(
                "Create every token, access-granting identifier and nonce with the platform's secure "
                "generator (Python's secrets module, for example) with at least 128 bits of entropy; never "
                "derive them from time, counters or user data."
            ),
            kind="preventive",
        ),
        references=("CWE-338", "CWE-330"),
    ),
    LibraryEntry(
        key="process-open-redirect",
        title="Trusted domain used to redirect users to a phishing site",
        stride=("S",),
        threat_source="phishing operator",
        prerequisites="who can craft links whose redirect parameter points to any address",
        threat_action="send users links on the genuine domain that bounce them to a look-alike site",
        threat_impact="credentials and payment details captured from users who trusted the domain",
        impacted_goals=("authenticity", "confidentiality"),
        conditions=Conditions(targets=_PROCESS, technology_keywords=_WEB_APP),
        control=SuggestedControl(
            title="Allow redirects only to relative paths or an allow-list",
            description=(
                "Accept only same-origin relative paths in 'next' and 'return' parameters (Django's "
                "url_has_allowed_host_and_scheme, for example) and fall back to a fixed page for anything "
                "else."
            ),
            kind="preventive",
        ),
        references=("CWE-601",),
    ),
    LibraryEntry(
        key="process-ldap-injection",
        title="LDAP injection in directory look-ups",
        stride=("S", "I"),
        threat_source="external attacker",
        prerequisites="who controls a user name or search term that the service places in an LDAP filter",
        threat_action="inject filter syntax that matches other entries or bypasses the password check",
        threat_impact="sign-in without valid credentials and disclosure of directory data",
        impacted_goals=("authenticity", "confidentiality"),
        conditions=Conditions(targets=_PROCESS, technology_keywords=_LDAP_KEYWORDS),
        control=SuggestedControl(
            title="Escape LDAP filter values and bind with a least-privilege account",
            description=(
                "Escape special characters in every value placed in a filter or DN with the library's "
                "escaping function, and bind as an account that can read only what the service needs."
            ),
            kind="preventive",
        ),
        references=("CWE-90", "CAPEC-136"),
    ),
    LibraryEntry(
        key="process-os-command-injection",
        title="Operating-system command injection",
        stride=("T", "E"),
        threat_source="external attacker",
        prerequisites=(
            "who controls a value that the service passes to a shell command, such as a file or host name"
        ),
        threat_action="append shell metacharacters that run commands of their choosing on the host",
        threat_impact="arbitrary code execution with the service's privileges",
        impacted_goals=("integrity", "confidentiality", "authorisation"),
        conditions=Conditions(targets=_PROCESS),
        control=SuggestedControl(
            title="Run external programs without a shell, with argument lists",
            description=(
                "Invoke external programs with an argument vector and the shell disabled "
                "(subprocess.run([...]) without shell=True), validate arguments against an allow-list, and "
                "prefer a library to a subprocess where one exists."
            ),
            kind="preventive",
        ),
        references=("CWE-78", "CAPEC-88"),
    ),
    LibraryEntry(
        key="process-cross-site-scripting",
        title="Cross-site scripting through unescaped output",
        stride=("T", "I"),
        threat_source="external attacker",
        prerequisites=(
            "who can store or reflect text that the application later renders in other users' pages"
        ),
        threat_action="inject script that runs in victims' browsers with their sessions",
        threat_impact="stolen sessions, defaced pages and actions performed in the victims' names",
        impacted_goals=("integrity", "confidentiality", "authenticity"),
        conditions=Conditions(targets=_PROCESS, technology_keywords=_WEB_APP),
        control=SuggestedControl(
            title="Escape output by context and send a strict Content Security Policy",
            description=(
                "Rely on the template engine's automatic escaping, never mark user input as safe, clean rich "
                "text with an allow-list sanitiser, and send a nonce-based Content-Security-Policy that "
                "forbids inline script."
            ),
            kind="preventive",
        ),
        references=("CWE-79", "CAPEC-63"),
    ),
    LibraryEntry(
        key="process-cross-site-request-forgery",
        title="Cross-site request forgery against state-changing actions",
        stride=("T",),
        threat_source="malicious website operator",
        prerequisites="whose page is visited by a user who is signed in to the application",
        threat_action=(
            "make the victim's browser submit a state-changing request that carries the victim's cookies"
        ),
        threat_impact="e-mail addresses, passwords or payment details changed without the victim's intent",
        impacted_goals=("integrity", "authorisation"),
        conditions=Conditions(targets=_PROCESS, technology_keywords=_WEB_APP),
        control=SuggestedControl(
            title="Require anti-CSRF tokens and SameSite cookies",
            description=(
                "Keep CSRF protection on for every unsafe method, set SameSite=Lax or Strict on session "
                "cookies, and never change state on GET."
            ),
            kind="preventive",
        ),
        references=("CWE-352", "CAPEC-62"),
    ),
    LibraryEntry(
        key="process-clickjacking",
        title="Clickjacking through framed pages",
        stride=("T",),
        threat_source="malicious website operator",
        prerequisites="who can load the application's pages in an invisible frame on their own site",
        threat_action="trick signed-in users into clicking buttons that approve, delete or transfer",
        threat_impact="unintended actions confirmed by the victims themselves",
        impacted_goals=("integrity", "authenticity"),
        conditions=Conditions(targets=_PROCESS, technology_keywords=_WEB_APP),
        control=SuggestedControl(
            title="Forbid framing by other origins",
            description=(
                "Send Content-Security-Policy: frame-ancestors 'none' (or the specific origins allowed) and "
                "X-Frame-Options: DENY on every page."
            ),
            kind="preventive",
        ),
        references=("CWE-1021", "CAPEC-103"),
    ),
    LibraryEntry(
        key="process-mass-assignment",
        title="Mass assignment of protected fields",
        stride=("T", "E"),
        threat_source="authenticated user",
        prerequisites="who adds unexpected fields such as 'role' or 'is_admin' to a form or API payload",
        threat_action=(
            "have the service bind those fields onto the stored object along with the permitted ones"
        ),
        threat_impact="privilege escalation and changes to fields the user may not edit",
        impacted_goals=("integrity", "authorisation"),
        conditions=Conditions(targets=_PROCESS, technology_keywords=_API),
        control=SuggestedControl(
            title="Bind input through explicit field allow-lists",
            description=(
                "Declare the writable fields of every form and serializer explicitly (never '__all__' or "
                "exclude lists) and make sensitive fields read-only at the API layer."
            ),
            kind="preventive",
        ),
        references=("CWE-915",),
    ),
    LibraryEntry(
        key="process-insecure-deserialisation",
        title="Code execution through deserialisation of untrusted data",
        stride=("T", "E"),
        threat_source="external attacker",
        prerequisites="who can supply serialised objects to the service, in a cookie, a message or an upload",
        threat_action="send a crafted object graph whose deserialisation runs code of their choosing",
        threat_impact="full compromise of the service and of the data it can reach",
        impacted_goals=("integrity", "confidentiality", "availability"),
        conditions=Conditions(targets=_PROCESS),
        control=SuggestedControl(
            title="Never deserialise untrusted input with native object formats",
            description=(
                "Use data-only formats such as JSON, validated against a schema, for anything that crosses a "
                "trust boundary; where native serialisation cannot be avoided, sign the payload and verify "
                "the signature before parsing."
            ),
            kind="preventive",
        ),
        references=("CWE-502", "CAPEC-586"),
    ),
    LibraryEntry(
        key="process-path-traversal",
        title="Path traversal to files outside the intended directory",
        stride=("T", "I"),
        threat_source="external attacker",
        prerequisites="who controls a file name or path that the service uses to read or write files",
        threat_action=(
            "use '../' sequences or absolute paths to read or overwrite files outside the intended directory"
        ),
        threat_impact="disclosure of configuration and secrets, or overwritten application files",
        impacted_goals=("confidentiality", "integrity"),
        conditions=Conditions(targets=_PROCESS),
        control=SuggestedControl(
            title="Generate storage names on the server and confine paths to a base directory",
            description=(
                "Name stored files on the server; where a user-supplied name is unavoidable, resolve the "
                "final path and refuse it unless it lies under the base directory; mount the application's "
                "own files read-only."
            ),
            kind="preventive",
        ),
        references=("CWE-22", "CAPEC-126"),
    ),
    LibraryEntry(
        key="process-unrestricted-file-upload",
        title="Executable content uploaded and then served",
        stride=("T", "E"),
        threat_source="external attacker",
        prerequisites=(
            "who can upload files that are stored under the web root or served from the application's origin"
        ),
        threat_action=(
            "upload a script or HTML page and have it executed by the server or rendered in users' browsers"
        ),
        threat_impact="code execution on the server, or attacker script running on the application's origin",
        impacted_goals=("integrity", "authorisation"),
        conditions=Conditions(targets=_PROCESS),
        control=SuggestedControl(
            title="Store uploads outside the web root and serve them inertly",
            description=(
                "Check the type by content, rename files on the server, keep them outside the web root or in "
                "object storage, and serve them from a separate domain with Content-Disposition: attachment "
                "and X-Content-Type-Options: nosniff."
            ),
            kind="preventive",
        ),
        references=("CWE-434",),
    ),
    LibraryEntry(
        key="process-template-injection",
        title="Server-side template injection",
        stride=("T", "E"),
        threat_source="authenticated user",
        prerequisites=(
            "who can edit text that the service compiles as a template, such as e-mail or notification "
            "templates"
        ),
        threat_action="write template expressions that reach internal objects and run code on the server",
        threat_impact="remote code execution and access to the application's secrets",
        impacted_goals=("integrity", "confidentiality", "authorisation"),
        conditions=Conditions(targets=_PROCESS, technology_keywords=_TEMPLATE_KEYWORDS),
        control=SuggestedControl(
            title="Render user-edited templates in a sandbox with a minimal context",
            description=(
                "Treat user text as data rather than as a template; where users must edit templates, use a "
                "sandboxed, logic-less engine with an allow-listed context and no attribute access."
            ),
            kind="preventive",
        ),
        references=("CWE-1336", "CWE-94"),
    ),
    LibraryEntry(
        key="process-race-condition",
        title="Double spending through concurrent requests",
        stride=("T",),
        threat_source="authenticated user",
        prerequisites="who can send several requests at the same moment",
        threat_action=(
            "redeem a voucher, withdraw a balance or claim a limited offer more than once by racing the "
            "checks"
        ),
        threat_impact="financial loss and records that break business rules",
        impacted_goals=("integrity",),
        conditions=Conditions(targets=_PROCESS),
        control=SuggestedControl(
            title="Enforce invariants atomically in the database",
            description=(
                "Check and change in one statement (a conditional UPDATE) or under a row lock (SELECT ... "
                "FOR UPDATE) inside one transaction, back the rule with a database constraint, and make "
                "operations idempotent with request keys."
            ),
            kind="preventive",
        ),
        references=("CWE-362", "CAPEC-26"),
    ),
    LibraryEntry(
        key="process-workflow-bypass",
        title="Business workflow steps skipped",
        stride=("T", "E"),
        threat_source="authenticated user",
        prerequisites="who can call a later step of a multi-step process directly",
        threat_action="skip approval, payment or verification steps and jump straight to completion",
        threat_impact="orders, approvals or account changes completed without the required checks",
        impacted_goals=("integrity", "authorisation"),
        conditions=Conditions(targets=_PROCESS),
        control=SuggestedControl(
            title="Keep workflow state on the server and check it at every step",
            description=(
                "Model the workflow as an explicit server-side state machine and refuse any transition whose "
                "preconditions are not met, whatever the client sends."
            ),
            kind="preventive",
        ),
        references=("CWE-841",),
    ),
    LibraryEntry(
        key="process-vulnerable-dependency",
        title="Known vulnerability in a third-party library",
        stride=("T", "E"),
        threat_source="opportunistic attacker",
        prerequisites="with a public exploit for a library or framework version that the service still runs",
        threat_action="exploit the published flaw before the dependency is updated",
        threat_impact="compromise through a flaw that was already fixed upstream",
        impacted_goals=("integrity", "confidentiality", "availability"),
        conditions=Conditions(targets=_PROCESS),
        control=SuggestedControl(
            title="Scan dependencies continuously and patch to a deadline",
            description=(
                "Pin dependencies, run software-composition analysis in CI and against deployed images, and "
                "set patch deadlines by severity (critical within seven days, for example)."
            ),
            kind="corrective",
        ),
        references=("CWE-1395", "CWE-1104"),
    ),
    LibraryEntry(
        key="process-prompt-injection",
        title="Prompt injection against a feature backed by a language model",
        stride=("T", "I", "E"),
        threat_source="external attacker",
        prerequisites=(
            "who can place text in content the model reads, such as a document, web page, e-mail or chat "
            "message"
        ),
        threat_action=(
            "embed instructions that make the model ignore its rules, reveal its context or call tools on "
            "the attacker's behalf"
        ),
        threat_impact="data leaked from the model's context and actions taken with the feature's privileges",
        impacted_goals=("confidentiality", "integrity", "authorisation"),
        conditions=Conditions(targets=_PROCESS, technology_keywords=_LLM_KEYWORDS),
        control=SuggestedControl(
            title="Treat model output as untrusted and limit the tools the model can use",
            description=(
                "Give the model only the data and tools the current user may use, require confirmation for "
                "consequential tool calls, validate and encode its output like user input, and keep secrets "
                "out of prompts."
            ),
            kind="preventive",
        ),
        references=("CWE-1427",),
    ),
    LibraryEntry(
        key="process-missing-security-logging",
        title="Attacks go unnoticed because security events are not logged",
        stride=("R",),
        threat_source="external attacker",
        prerequisites="who probes and exploits the service over days or weeks",
        threat_action=(
            "operate without leaving records of failed sign-ins, refused requests or rejected input"
        ),
        threat_impact="breaches detected late or never, with no evidence to reconstruct what happened",
        impacted_goals=("non_repudiation",),
        conditions=Conditions(targets=_PROCESS),
        control=SuggestedControl(
            title="Log security events centrally and alert on them",
            description=(
                "Emit structured events for authentication, authorisation failures, administrative changes "
                "and validation errors, ship them to a central store outside the service's control, and "
                "alert on thresholds."
            ),
            kind="detective",
        ),
        references=("CWE-778",),
    ),
    LibraryEntry(
        key="process-log-injection",
        title="Forged log entries through unneutralised input",
        stride=("R", "T"),
        threat_source="external attacker",
        prerequisites=(
            "who submits input containing line breaks or control characters that the service writes to its "
            "logs"
        ),
        threat_action="insert fake log lines or break log parsing to cover their tracks",
        threat_impact="misleading audit records and investigations that reach the wrong conclusions",
        impacted_goals=("non_repudiation", "integrity"),
        conditions=Conditions(targets=_PROCESS),
        control=SuggestedControl(
            title="Write structured logs that encode user input",
            description=(
                "Log in a structured format such as JSON so the encoder escapes values, strip or encode CR "
                "and LF in any free-text log line, and keep the parsers in the log pipeline strict."
            ),
            kind="preventive",
        ),
        references=("CWE-117", "CAPEC-93"),
    ),
    LibraryEntry(
        key="process-verbose-errors",
        title="Stack traces and internals revealed in error responses",
        stride=("I",),
        threat_source="external attacker",
        prerequisites="who can send malformed requests that make the service fail",
        threat_action=(
            "read stack traces, query fragments, file paths and library versions from the error responses"
        ),
        threat_impact="detailed knowledge of the system that makes targeted attacks easier",
        impacted_goals=("confidentiality",),
        conditions=Conditions(targets=_PROCESS),
        control=SuggestedControl(
            title="Return generic errors and keep details in server logs",
            description=(
                "Show users a generic message with a correlation identifier, keep stack traces in server "
                "logs only, and make sure framework error pages are off in production."
            ),
            kind="preventive",
        ),
        references=("CWE-209",),
    ),
    LibraryEntry(
        key="process-debug-features-enabled",
        title="Debug features left enabled in production",
        stride=("I", "E"),
        threat_source="external attacker",
        prerequisites=(
            "who reaches a debug console, profiler or diagnostic endpoint left enabled in production"
        ),
        threat_action="read settings and environment variables, or execute code, through the debug tooling",
        threat_impact="exposed secrets and possible code execution on the server",
        impacted_goals=("confidentiality", "integrity"),
        conditions=Conditions(targets=_PROCESS),
        control=SuggestedControl(
            title="Fail the deployment when debug settings are on",
            description=(
                "Read debug flags from the environment with production defaults off, check them in the "
                "deployment pipeline (manage.py check --deploy for Django), and leave debug toolbars and "
                "consoles out of production builds."
            ),
            kind="preventive",
        ),
        references=("CWE-489", "CWE-215"),
    ),
    LibraryEntry(
        key="process-hard-coded-secrets",
        title="Credentials hard-coded in source code or images",
        stride=("I", "E"),
        threat_source="attacker",
        prerequisites="who obtains a copy of the source repository or of a built container image",
        threat_action="extract database passwords, API keys or signing keys embedded in the code",
        threat_impact="direct access to production systems that bypasses every application control",
        impacted_goals=("confidentiality", "authorisation"),
        conditions=Conditions(targets=_PROCESS),
        control=SuggestedControl(
            title="Load secrets from a secrets manager and scan for leaked secrets",
            description=(
                "Inject secrets at run time from a secrets manager or the environment, scan commits and "
                "images for secrets in CI, and rotate any secret that was ever committed."
            ),
            kind="preventive",
        ),
        references=("CWE-798",),
    ),
    LibraryEntry(
        key="process-secrets-in-logs",
        title="Tokens and personal data written into logs",
        stride=("I",),
        threat_source="operator or intruder",
        prerequisites=(
            "with read access to the logging platform, which is usually granted more widely than production "
            "data"
        ),
        threat_action=(
            "harvest passwords, session tokens and personal data that the service writes into its logs"
        ),
        threat_impact="stolen credentials and a personal-data breach through the logging system",
        impacted_goals=("confidentiality",),
        conditions=Conditions(targets=_PROCESS),
        control=SuggestedControl(
            title="Redact sensitive fields before they are logged",
            description=(
                "Log through a formatter that redacts known secret and personal fields (authorisation "
                "headers, cookies, passwords, card numbers), never log whole request bodies, and test the "
                "redaction."
            ),
            kind="preventive",
        ),
        references=("CWE-532",),
    ),
    LibraryEntry(
        key="process-user-enumeration",
        title="Registered accounts revealed by differing responses",
        stride=("I",),
        threat_source="external attacker",
        prerequisites="who can submit sign-in, registration or password-reset requests",
        threat_action=(
            "tell registered addresses from unknown ones by differences in messages, status codes or "
            "response times"
        ),
        threat_impact="a confirmed list of users to target with phishing and password guessing",
        impacted_goals=("confidentiality",),
        conditions=Conditions(targets=_PROCESS),
        control=SuggestedControl(
            title="Answer identically whether or not an account exists",
            description=(
                "Return the same message, status and approximate timing for known and unknown accounts (hash "
                "a dummy password for unknown ones), and tell the account holder by e-mail instead."
            ),
            kind="preventive",
        ),
        references=("CWE-204",),
    ),
    LibraryEntry(
        key="process-broken-object-authorisation",
        title="Other users' records reached by changing an identifier",
        stride=("I", "E"),
        threat_source="authenticated user",
        prerequisites="who can see an object identifier in a URL or API call",
        threat_action=(
            "change the identifier to fetch or modify records that belong to other users or tenants"
        ),
        threat_impact="disclosure or alteration of other customers' data",
        impacted_goals=("confidentiality", "integrity", "authorisation"),
        conditions=Conditions(targets=_PROCESS),
        control=SuggestedControl(
            title="Scope every object lookup to what the requesting user may see",
            description=(
                "Fetch objects through queries that start from the user's visible set and answer 404 when "
                "the object lies outside it; test every endpoint with a user from another tenant."
            ),
            kind="preventive",
        ),
        references=("CWE-639",),
    ),
    LibraryEntry(
        key="process-server-side-request-forgery",
        title="Server-side request forgery against internal services",
        stride=("I", "E"),
        threat_source="external attacker",
        prerequisites=(
            "who can make the service fetch a URL, through a webhook, import or link-preview feature"
        ),
        threat_action=(
            "point the fetch at internal addresses such as the cloud metadata endpoint or administrative "
            "interfaces"
        ),
        threat_impact="stolen cloud credentials and access to internal services that trust the server",
        impacted_goals=("confidentiality", "authorisation"),
        conditions=Conditions(targets=_PROCESS),
        control=SuggestedControl(
            title="Restrict outbound fetches to vetted destinations",
            description=(
                "Resolve the host and refuse private, loopback and link-local addresses after resolution and "
                "after every redirect, send fetches through an egress proxy with an allow-list, and require "
                "session-based metadata access (IMDSv2 or equivalent) on cloud hosts."
            ),
            kind="preventive",
        ),
        references=("CWE-918", "CAPEC-664"),
    ),
    LibraryEntry(
        key="process-xml-external-entities",
        title="XML external entity processing",
        stride=("I", "D"),
        threat_source="external attacker",
        prerequisites="who can submit XML documents, such as SOAP messages, SAML responses or office files",
        threat_action=(
            "declare external entities that make the parser read local files, call internal URLs or expand "
            "without limit"
        ),
        threat_impact="disclosure of server files and memory exhausted by entity expansion",
        impacted_goals=("confidentiality", "availability"),
        conditions=Conditions(targets=_PROCESS, technology_keywords=_XML_KEYWORDS),
        control=SuggestedControl(
            title="Disable DTDs and external entities in every XML parser",
            description=(
                "Configure every parser to refuse DTDs and external entity resolution (defusedxml in Python, "
                "for example) and reject documents above a size limit before parsing."
            ),
            kind="preventive",
        ),
        references=("CWE-611", "CAPEC-221"),
    ),
    LibraryEntry(
        key="process-permissive-cors",
        title="Cross-origin reads allowed by a permissive CORS policy",
        stride=("I",),
        threat_source="malicious website operator",
        prerequisites="whose page is opened by a user who is signed in to the application's API",
        threat_action=(
            "read authenticated API responses from the victim's browser, because the service echoes any "
            "Origin with credentials allowed"
        ),
        threat_impact="the victim's data sent to the attacker's site",
        impacted_goals=("confidentiality",),
        conditions=Conditions(targets=_PROCESS, technology_keywords=_API),
        control=SuggestedControl(
            title="Allow-list trusted origins for credentialed CORS",
            description=(
                "Return Access-Control-Allow-Origin only for an explicit list of origins, and never reflect "
                "the request's Origin or allow 'null' while credentials are allowed."
            ),
            kind="preventive",
        ),
        references=("CWE-942",),
    ),
    LibraryEntry(
        key="process-missing-function-authorisation",
        title="Privileged function callable by ordinary users",
        stride=("E",),
        threat_source="authenticated user with a low-privilege role",
        prerequisites=(
            "who learns the address of an administrative action, from the JavaScript bundle for example"
        ),
        threat_action=(
            "call the action directly, because the server checks only that the caller is signed in and not "
            "their role"
        ),
        threat_impact="ordinary users performing administrative changes",
        impacted_goals=("authorisation", "integrity"),
        conditions=Conditions(targets=_PROCESS),
        control=SuggestedControl(
            title="Check permissions on the server for every action, from one role table",
            description=(
                "Declare the permission each view and API action needs, read it from a single role matrix, "
                "and cover every action with a negative test for each lower role."
            ),
            kind="preventive",
        ),
        references=("CWE-862", "CWE-425"),
    ),
    LibraryEntry(
        key="process-excessive-runtime-privileges",
        title="Service runs with more privilege than it needs",
        stride=("E",),
        threat_source="attacker who has exploited a flaw in the service",
        prerequisites=(
            "with code execution inside a process that runs as root or holds broad cloud permissions"
        ),
        threat_action="turn that foothold into control of the host or of the cloud account",
        threat_impact="compromise spreading from one service to its host and neighbouring systems",
        impacted_goals=("authorisation", "integrity", "confidentiality"),
        conditions=Conditions(targets=_PROCESS),
        control=SuggestedControl(
            title="Run as an unprivileged user with least-privilege credentials",
            description=(
                "Run the process as a dedicated non-root user with a read-only filesystem and no extra "
                "capabilities, and grant its cloud identity only the actions and resources it uses."
            ),
            kind="preventive",
        ),
        references=("CWE-250",),
    ),
    LibraryEntry(
        key="process-container-escape",
        title="Container breakout through privileged settings or a mounted runtime socket",
        stride=("E",),
        threat_source="attacker controlling a container",
        prerequisites=(
            "in a container that runs privileged, shares host namespaces or mounts the container runtime's "
            "socket"
        ),
        threat_action="escape to the node and take over every workload scheduled on it",
        threat_impact="compromise of co-located services and of the cluster's credentials",
        impacted_goals=("authorisation", "confidentiality", "integrity"),
        conditions=Conditions(targets=_PROCESS, technology_keywords=_CONTAINER_KEYWORDS),
        control=SuggestedControl(
            title="Enforce the restricted pod security profile for every workload",
            description=(
                "Apply the Kubernetes 'restricted' Pod Security Standard or its equivalent (no privileged "
                "containers, host namespaces, runtime-socket mounts or added capabilities) and enforce it "
                "with an admission controller."
            ),
            kind="preventive",
        ),
        references=("CWE-653", "CWE-250"),
    ),
    LibraryEntry(
        key="process-request-flood",
        title="Service exhausted by a stream of expensive requests",
        stride=("D",),
        threat_source="external attacker",
        prerequisites=(
            "who can send many requests to operations that are costly to serve, such as search, export or "
            "report generation"
        ),
        threat_action="send those requests faster than the service can process them",
        threat_impact="slow or failed responses for every user of the service",
        impacted_goals=("availability",),
        conditions=Conditions(targets=_PROCESS),
        control=SuggestedControl(
            title="Rate-limit per client and cap the cost of each request",
            description=(
                "Apply per-user and per-address rate limits, paginate and cap result sizes, set query "
                "timeouts, and move heavy work to background queues with bounded concurrency."
            ),
            kind="preventive",
        ),
        references=("CWE-770", "CWE-400"),
    ),
    LibraryEntry(
        key="process-regular-expression-denial-of-service",
        title="Regular-expression backtracking stalls the service",
        stride=("D",),
        threat_source="external attacker",
        prerequisites=(
            "who can submit text that the service matches against a regular expression with nested "
            "quantifiers"
        ),
        threat_action="send a short crafted string that makes the match take seconds or minutes",
        threat_impact="worker threads tied up and the service unavailable",
        impacted_goals=("availability",),
        conditions=Conditions(targets=_PROCESS),
        control=SuggestedControl(
            title="Use linear-time regular expressions and bound input length",
            description=(
                "Avoid nested quantifiers, cap input length before matching, and use a linear-time engine "
                "(RE2 or similar) for user-supplied text or patterns."
            ),
            kind="preventive",
        ),
        references=("CWE-1333", "CAPEC-492"),
    ),
    LibraryEntry(
        key="process-decompression-bomb",
        title="Compressed upload expands to exhaust memory or disk",
        stride=("D",),
        threat_source="external attacker",
        prerequisites="who can upload archives or images, or send compressed request bodies",
        threat_action="submit a small file that expands to gigabytes when the service unpacks or decodes it",
        threat_impact="memory or disk exhausted and the service unavailable",
        impacted_goals=("availability",),
        conditions=Conditions(targets=_PROCESS),
        control=SuggestedControl(
            title="Limit expanded size and ratio while decompressing",
            description=(
                "Decompress as a stream with hard limits on expanded bytes, file count and compression "
                "ratio, and bound image dimensions before decoding (Pillow's MAX_IMAGE_PIXELS, for example)."
            ),
            kind="preventive",
        ),
        references=("CWE-409",),
    ),
    LibraryEntry(
        key="process-graphql-query-cost",
        title="Deeply nested or batched GraphQL queries exhaust the server",
        stride=("D",),
        threat_source="external attacker",
        prerequisites="who can send queries to the GraphQL endpoint",
        threat_action=(
            "send deeply nested, aliased or batched queries that each fan out into thousands of resolver "
            "calls"
        ),
        threat_impact="database and processor saturation that takes the API down",
        impacted_goals=("availability",),
        conditions=Conditions(targets=_PROCESS, technology_keywords=_GRAPHQL_KEYWORDS),
        control=SuggestedControl(
            title="Limit GraphQL query depth, cost and batch size",
            description=(
                "Reject queries above a depth and cost budget calculated before execution, cap aliases and "
                "batch size, and prefer persisted queries for first-party clients."
            ),
            kind="preventive",
        ),
        references=("CWE-400",),
    ),
    # Data stores: databases, caches, buckets, queues and files.
    LibraryEntry(
        key="data-store-sql-injection",
        title="SQL injection through queries built from input",
        stride=("T", "I", "E"),
        threat_source="external attacker",
        prerequisites="who controls a value that the application concatenates into a SQL statement",
        threat_action="rewrite the query to read, change or delete rows beyond the intended ones",
        threat_impact=(
            "bulk disclosure or corruption of the database, and at times code execution on the database host"
        ),
        impacted_goals=("confidentiality", "integrity", "authorisation"),
        conditions=Conditions(targets=_DATA_STORE, technology_keywords=_SQL_KEYWORDS),
        control=SuggestedControl(
            title="Use parameterised queries everywhere",
            description=(
                "Reach the database only through the ORM or bound parameters, never through string "
                "formatting; review every raw query; give the application's database role no DDL or "
                "superuser rights."
            ),
            kind="preventive",
        ),
        references=("CWE-89", "CAPEC-66"),
    ),
    LibraryEntry(
        key="data-store-nosql-injection",
        title="Query-operator injection in a document database",
        stride=("T", "I"),
        threat_source="external attacker",
        prerequisites=(
            "who can send a JSON object where the application expects a plain value, such as {'$ne': null} "
            "for a password"
        ),
        threat_action="inject query operators that match every document or bypass comparisons",
        threat_impact="authentication bypass and disclosure or modification of documents",
        impacted_goals=("confidentiality", "integrity", "authenticity"),
        conditions=Conditions(targets=_DATA_STORE, technology_keywords=_NOSQL_KEYWORDS),
        control=SuggestedControl(
            title="Check the type of every input before it reaches a query",
            description=(
                "Check that each value has the expected scalar type before building the query, reject keys "
                "that start with '$' or contain '.', and disable server-side JavaScript evaluation."
            ),
            kind="preventive",
        ),
        references=("CWE-943", "CAPEC-676"),
    ),
    LibraryEntry(
        key="data-store-exposed-without-authentication",
        title="Data store reachable on the network without authentication",
        stride=("T", "I", "D"),
        threat_source="internet scanner or intruder",
        prerequisites=(
            "who can reach the data store's port, for example after a firewall or security-group mistake"
        ),
        threat_action="connect directly and read, overwrite or wipe the stored data",
        threat_impact="bulk data theft, ransom notes in place of data, or poisoned cache entries",
        impacted_goals=("confidentiality", "integrity", "availability"),
        conditions=Conditions(targets=_DATA_STORE, technology_keywords=_NETWORK_STORE_KEYWORDS),
        control=SuggestedControl(
            title="Require authentication and listen only on private interfaces",
            description=(
                "Turn on authentication and TLS in the data store, bind it to private addresses only, allow "
                "inbound connections from the application's hosts alone, and scan external address ranges "
                "for exposed ports."
            ),
            kind="preventive",
        ),
        references=("CWE-306",),
    ),
    LibraryEntry(
        key="data-store-public-bucket",
        title="Storage bucket readable by anyone",
        stride=("I",),
        threat_source="external attacker",
        prerequisites="who discovers or guesses the name of a storage bucket or container",
        threat_action="list and download its objects, because the bucket policy or ACL allows public access",
        threat_impact="mass disclosure of documents, backups or personal data",
        impacted_goals=("confidentiality",),
        conditions=Conditions(targets=_DATA_STORE, technology_keywords=_OBJECT_STORAGE_KEYWORDS),
        control=SuggestedControl(
            title="Block public access at the account level",
            description=(
                "Turn on the provider's account-wide public-access block, serve intentionally public files "
                "through a CDN or signed URLs, and alert on policy changes that grant access to everyone."
            ),
            kind="preventive",
        ),
        references=("CWE-732",),
    ),
    LibraryEntry(
        key="data-store-unencrypted-at-rest",
        title="Stored data readable from stolen disks, snapshots or images",
        stride=("I",),
        threat_source="dishonest operator or intruder",
        prerequisites="with access to the underlying disks, volume snapshots or machine images",
        threat_action="read the data files directly, bypassing the data store's access controls",
        threat_impact="disclosure of all stored data in clear text",
        impacted_goals=("confidentiality",),
        conditions=Conditions(targets=_DATA_STORE),
        control=SuggestedControl(
            title="Encrypt data at rest with keys held in a key-management service",
            description=(
                "Turn on volume or database encryption with keys in a key-management service, restrict who "
                "may use the keys and who may share snapshots, and encrypt the most sensitive fields in the "
                "application as well."
            ),
            kind="preventive",
        ),
        references=("CWE-312", "CWE-311"),
    ),
    LibraryEntry(
        key="data-store-exposed-backups",
        title="Backups exposed outside the production access controls",
        stride=("I",),
        threat_source="attacker",
        prerequisites=(
            "who finds database dumps or backup archives in a less protected place, such as a shared drive, "
            "a developer's laptop or a public bucket"
        ),
        threat_action="restore the backup and read everything it holds",
        threat_impact="a complete copy of the data store disclosed in one go",
        impacted_goals=("confidentiality",),
        conditions=Conditions(targets=_DATA_STORE),
        control=SuggestedControl(
            title="Encrypt backups and keep them in a restricted location",
            description=(
                "Encrypt backups with a dedicated key, keep them in a separate account or vault that only "
                "the restore role can read, and log and review every restore."
            ),
            kind="preventive",
        ),
        references=("CWE-530",),
    ),
    LibraryEntry(
        key="data-store-weak-password-hashes",
        title="Stored passwords cracked after a database leak",
        stride=("I", "S"),
        threat_source="attacker",
        prerequisites="who obtains a copy of the table that holds users' passwords",
        threat_action=(
            "recover the passwords offline, because they are stored in clear text, encrypted reversibly or "
            "hashed with a fast, unsalted function"
        ),
        threat_impact="account takeover here and on other sites where users reused their passwords",
        impacted_goals=("confidentiality", "authenticity"),
        conditions=Conditions(targets=_DATA_STORE),
        control=SuggestedControl(
            title="Hash passwords with a slow, salted algorithm",
            description=(
                "Store passwords only as Argon2id, scrypt or PBKDF2 hashes with per-user salts and current "
                "work factors, and upgrade older hashes at the next sign-in."
            ),
            kind="preventive",
        ),
        references=("CWE-916", "CAPEC-55"),
    ),
    LibraryEntry(
        key="data-store-cross-tenant-leak",
        title="One tenant's records returned to another",
        stride=("I",),
        threat_source="customer of the service",
        prerequisites=(
            "whose records share tables with other customers' records, separated only by a tenant column"
        ),
        threat_action="receive other tenants' rows through any query that forgets the tenant filter",
        threat_impact="a cross-customer data breach",
        impacted_goals=("confidentiality",),
        conditions=Conditions(targets=_DATA_STORE),
        control=SuggestedControl(
            title="Enforce tenant isolation in the data layer",
            description=(
                "Scope every query through a tenant-aware manager and, as a second line, enable row-level "
                "security policies keyed on the current tenant; test every endpoint with a second tenant."
            ),
            kind="preventive",
        ),
        references=("CWE-668",),
    ),
    LibraryEntry(
        key="data-store-production-data-in-test",
        title="Production data copied into less protected environments",
        stride=("I",),
        threat_source="intruder",
        prerequisites=(
            "who compromises a development or test environment that holds a copy of production data"
        ),
        threat_action="take personal data from a copy guarded far less carefully than production",
        threat_impact="a personal-data breach through an environment nobody was watching",
        impacted_goals=("confidentiality",),
        conditions=Conditions(targets=_DATA_STORE),
        control=SuggestedControl(
            title="Use synthetic or masked data outside production",
            description=(
                "Generate test data synthetically or mask personal fields irreversibly before data leaves "
                "production, and treat any environment that holds real data as production."
            ),
            kind="preventive",
        ),
        references=("CWE-359",),
    ),
    LibraryEntry(
        key="data-store-ransom-destruction",
        title="Data and backups destroyed or encrypted for ransom",
        stride=("D", "T"),
        threat_source="ransomware operator",
        prerequisites="holding credentials that can write to both the data store and its backups",
        threat_action=(
            "delete or encrypt the production data together with every backup reachable with the same "
            "credentials"
        ),
        threat_impact="a prolonged outage and permanent data loss, or pressure to pay a ransom",
        impacted_goals=("availability", "integrity"),
        conditions=Conditions(targets=_DATA_STORE),
        control=SuggestedControl(
            title="Keep immutable, separately held backups and rehearse restores",
            description=(
                "Write backups to immutable storage (object lock or WORM) in a separate account that "
                "production credentials cannot reach, and restore from them on a schedule to prove the "
                "recovery time."
            ),
            kind="corrective",
        ),
        references=("CWE-284",),
    ),
    LibraryEntry(
        key="data-store-storage-exhaustion",
        title="Storage filled until writes fail",
        stride=("D",),
        threat_source="external attacker or runaway client",
        prerequisites="who can create records, uploads or log lines without any quota",
        threat_action="write data faster than it is pruned until the volume or table space is full",
        threat_impact="failed writes, a stopped database and lost transactions",
        impacted_goals=("availability",),
        conditions=Conditions(targets=_DATA_STORE),
        control=SuggestedControl(
            title="Set storage quotas and alert on capacity",
            description=(
                "Limit storage per user or tenant, cap upload sizes, rotate and expire logs, and alert well "
                "before volumes reach capacity."
            ),
            kind="preventive",
        ),
        references=("CWE-400", "CAPEC-130"),
    ),
    LibraryEntry(
        key="data-store-expensive-queries",
        title="Expensive queries triggered by user-controlled filters",
        stride=("D",),
        threat_source="authenticated user",
        prerequisites=(
            "who can choose sort orders, filters or search patterns that the data store cannot serve from an "
            "index"
        ),
        threat_action="trigger full scans and large sorts that monopolise the database's processor and disk",
        threat_impact="slow queries and timeouts for everyone who shares the database",
        impacted_goals=("availability",),
        conditions=Conditions(targets=_DATA_STORE, technology_keywords=_SQL_KEYWORDS | _NOSQL_KEYWORDS),
        control=SuggestedControl(
            title="Bound query cost with statement timeouts and indexed filters",
            description=(
                "Allow sorting and filtering only on indexed fields, set statement timeouts per database "
                "role, cap page sizes, and serve reporting from a replica."
            ),
            kind="preventive",
        ),
        references=("CWE-405",),
    ),
    LibraryEntry(
        key="data-store-direct-administrator-changes",
        title="Records changed directly in the database, bypassing the application",
        stride=("T", "R"),
        threat_source="privileged insider",
        prerequisites="with administrator or write credentials on the production database",
        threat_action="alter records directly, outside the application's checks and audit trail",
        threat_impact="fraudulent changes that are hard to detect and impossible to attribute",
        impacted_goals=("integrity", "non_repudiation"),
        conditions=Conditions(targets=_DATA_STORE),
        control=SuggestedControl(
            title="Audit direct database access and require approval for it",
            description=(
                "Grant direct write access only through approved, time-limited sessions, record row changes "
                "with database audit logging or history triggers shipped to a separate store, and review "
                "every direct change."
            ),
            kind="detective",
        ),
        references=("CWE-778",),
    ),
    LibraryEntry(
        key="data-store-audit-log-tampering",
        title="Audit log altered or erased to hide activity",
        stride=("R", "T"),
        threat_source="intruder with administrative access",
        prerequisites="who can write to the store that holds the audit or security logs",
        threat_action="delete or rewrite the entries that record their activity",
        threat_impact="loss of the evidence needed to detect, investigate and prove misuse",
        impacted_goals=("non_repudiation", "integrity"),
        conditions=Conditions(targets=_DATA_STORE),
        control=SuggestedControl(
            title="Make audit logs append-only and keep a copy elsewhere",
            description=(
                "Forward log entries in near real time to a separate account or service with write-once "
                "retention, chain entries with hashes, and alert when forwarding stops."
            ),
            kind="preventive",
        ),
        references=("CAPEC-268",),
    ),
    LibraryEntry(
        key="data-store-overprivileged-database-account",
        title="Application connects to the database as an administrator",
        stride=("E",),
        threat_source="attacker",
        prerequisites="who has injected a query or taken over the application's database connection",
        threat_action=(
            "use the account's administrator rights to read every schema, create users or run programs on "
            "the server"
        ),
        threat_impact="a single application flaw turned into full control of the database server",
        impacted_goals=("authorisation", "confidentiality", "integrity"),
        conditions=Conditions(targets=_DATA_STORE, technology_keywords=_SQL_KEYWORDS | _NOSQL_KEYWORDS),
        control=SuggestedControl(
            title="Give each application a least-privilege database role",
            description=(
                "Connect with a role that owns no schema and may perform only the data operations the "
                "application needs, and run migrations with a separate role."
            ),
            kind="preventive",
        ),
        references=("CWE-269",),
    ),
    LibraryEntry(
        key="data-store-poisoned-queue-messages",
        title="Forged or malformed messages injected into a queue",
        stride=("T", "D"),
        threat_source="compromised or misbehaving producer",
        prerequisites="with publish rights on a queue or topic whose consumers trust every message",
        threat_action=(
            "publish forged messages that consumers act on, or malformed ones that crash them in a retry loop"
        ),
        threat_impact="unauthorised state changes downstream and stalled processing of every message",
        impacted_goals=("integrity", "availability"),
        conditions=Conditions(targets=_DATA_STORE, technology_keywords=_QUEUE_KEYWORDS),
        control=SuggestedControl(
            title="Authenticate producers, validate messages and dead-letter failures",
            description=(
                "Restrict publish rights per topic, validate every message against a schema, sign messages "
                "whose origin matters, and move messages that fail repeatedly to a dead-letter queue."
            ),
            kind="preventive",
        ),
        references=("CWE-345", "CWE-20"),
    ),
    # External services: systems run by someone else that this one depends on or sends data to.
    LibraryEntry(
        key="external-service-webhook-spoofing",
        title="Forged webhook events posing as the provider",
        stride=("S", "T"),
        threat_source="external attacker",
        prerequisites="who knows or guesses the URL of the system's webhook endpoint",
        threat_action=(
            "post forged events, such as 'payment succeeded', that appear to come from the provider"
        ),
        threat_impact="goods released, accounts upgraded or records changed on the strength of fake events",
        impacted_goals=("authenticity", "integrity"),
        conditions=Conditions(targets=_EXTERNAL_SERVICE, technology_keywords=_WEBHOOK_KEYWORDS),
        control=SuggestedControl(
            title="Verify webhook signatures and timestamps",
            description=(
                "Check the provider's signature over the raw body, reject stale timestamps and repeated "
                "event identifiers, and confirm critical events by querying the provider's API."
            ),
            kind="preventive",
        ),
        references=("CWE-345", "CWE-347"),
    ),
    LibraryEntry(
        key="external-service-leaked-api-key",
        title="Provider API key leaked and used by others",
        stride=("S", "I"),
        threat_source="external attacker",
        prerequisites=(
            "who finds the system's API key for the provider in a repository, a mobile app or a client-side "
            "bundle"
        ),
        threat_action=(
            "call the provider in the organisation's name, reading the data held there or running up charges"
        ),
        threat_impact=(
            "data held at the provider disclosed, and costs or abuse attributed to the organisation"
        ),
        impacted_goals=("confidentiality", "authenticity"),
        conditions=Conditions(targets=_EXTERNAL_SERVICE),
        control=SuggestedControl(
            title="Keep provider keys on the server, narrowly scoped and rotated",
            description=(
                "Never ship provider secrets to clients; use scoped, per-environment keys with address "
                "restrictions where the provider offers them; keep them in a secrets manager and rotate them "
                "on a schedule and on any suspicion."
            ),
            kind="preventive",
        ),
        references=("CWE-522",),
    ),
    LibraryEntry(
        key="external-service-subdomain-takeover",
        title="Subdomain taken over through a dangling DNS record",
        stride=("S",),
        threat_source="external attacker",
        prerequisites=(
            "who notices a DNS record that still points at a deleted third-party resource, such as a hosted "
            "site or storage bucket"
        ),
        threat_action="claim that resource at the provider and serve content on the organisation's subdomain",
        threat_impact="phishing pages and cookie theft on a domain users trust",
        impacted_goals=("authenticity", "integrity"),
        conditions=Conditions(targets=_EXTERNAL_SERVICE),
        control=SuggestedControl(
            title="Remove DNS records together with the resources they point to",
            description=(
                "Delete or change DNS records in the same change that deprovisions a third-party resource, "
                "and scan the DNS zones regularly for records that point at unclaimed resources."
            ),
            kind="preventive",
        ),
        references=("CWE-672",),
    ),
    LibraryEntry(
        key="external-service-email-spoofing",
        title="E-mail spoofed in the organisation's name",
        stride=("S",),
        threat_source="phishing operator",
        prerequisites=(
            "sending to the system's users while the sending domain has no enforced SPF, DKIM and DMARC "
            "policy"
        ),
        threat_action="send messages that appear to come from the system's own address",
        threat_impact="users tricked into handing credentials or payments to the attacker",
        impacted_goals=("authenticity",),
        conditions=Conditions(targets=_EXTERNAL_SERVICE, technology_keywords=_EMAIL_KEYWORDS),
        control=SuggestedControl(
            title="Publish SPF, sign with DKIM and enforce DMARC",
            description=(
                "Authorise the e-mail provider in SPF, sign outgoing mail with DKIM, and move DMARC to "
                "p=reject once the reports show that legitimate mail aligns."
            ),
            kind="preventive",
        ),
        references=("CWE-290",),
    ),
    LibraryEntry(
        key="external-service-identity-provider-any-tenant",
        title="Sign-ins accepted from any tenant of a shared identity provider",
        stride=("S", "E"),
        threat_source="external attacker",
        prerequisites="with a free account of their own at the same identity provider",
        threat_action=(
            "sign in because the system checks the token's signature but not its issuer, tenant or audience"
        ),
        threat_impact="outsiders admitted, or matched to existing users through an e-mail claim they control",
        impacted_goals=("authenticity", "authorisation"),
        conditions=Conditions(targets=_EXTERNAL_SERVICE, technology_keywords=_IDENTITY_PROVIDER_KEYWORDS),
        control=SuggestedControl(
            title="Validate issuer, tenant and audience, and match users on stable identifiers",
            description=(
                "Accept tokens only from the expected issuer and tenant identifiers and for the "
                "application's own audience, and link accounts by the provider's immutable subject "
                "identifier, never by e-mail address alone."
            ),
            kind="preventive",
        ),
        references=("CWE-346", "CWE-287"),
    ),
    LibraryEntry(
        key="external-service-untrusted-responses",
        title="Responses from a third-party service trusted without validation",
        stride=("T",),
        threat_source="compromised third-party service",
        prerequisites="whose responses the system stores, renders or acts on without checking them",
        threat_action="return crafted data that the system treats as trustworthy",
        threat_impact="injection into the system's pages and data stores, and decisions made on false data",
        impacted_goals=("integrity",),
        conditions=Conditions(targets=_EXTERNAL_SERVICE),
        control=SuggestedControl(
            title="Validate third-party responses as strictly as user input",
            description=(
                "Parse responses against a strict schema, bound their size, encode them for the context they "
                "are shown in, and fail closed on unexpected values."
            ),
            kind="preventive",
        ),
        references=("CWE-20",),
    ),
    LibraryEntry(
        key="external-service-third-party-script",
        title="Malicious code served through a third-party script or SDK",
        stride=("T", "I"),
        threat_source="compromised third-party service",
        prerequisites="that serves JavaScript or an SDK loaded into the system's pages or apps",
        threat_action="ship altered code that skims form fields, steals tokens or changes page behaviour",
        threat_impact="card and credential theft from users of the genuine site",
        impacted_goals=("integrity", "confidentiality"),
        conditions=Conditions(targets=_EXTERNAL_SERVICE, technology_keywords=_SCRIPT_KEYWORDS),
        control=SuggestedControl(
            title="Pin third-party scripts with Subresource Integrity or host them yourself",
            description=(
                "Host scripts yourself or pin them with Subresource Integrity hashes, restrict script "
                "sources with Content-Security-Policy, and keep third-party scripts off payment and sign-in "
                "pages."
            ),
            kind="preventive",
        ),
        references=("CWE-829",),
    ),
    LibraryEntry(
        key="external-service-malicious-package",
        title="Malicious package pulled from a public registry",
        stride=("T", "E"),
        threat_source="supply-chain attacker",
        prerequisites=(
            "who has published a look-alike package, or taken over a maintainer's account, on a registry the "
            "build uses"
        ),
        threat_action="have malicious code installed and run during the build or at run time",
        threat_impact="backdoored releases and stolen build secrets",
        impacted_goals=("integrity", "confidentiality"),
        conditions=Conditions(targets=_EXTERNAL_SERVICE, technology_keywords=_PACKAGE_KEYWORDS),
        control=SuggestedControl(
            title="Pin and verify dependencies, and isolate builds",
            description=(
                "Install from a lock file with hashes (pip --require-hashes, npm ci), mirror approved "
                "packages in an internal registry, and give build jobs no long-lived production secrets."
            ),
            kind="preventive",
        ),
        references=("CWE-494", "CAPEC-538"),
    ),
    LibraryEntry(
        key="external-service-payment-amount-tampering",
        title="Payment amount or currency altered on its way to the provider",
        stride=("T",),
        threat_source="dishonest customer",
        prerequisites=(
            "who can edit the amount, currency or order reference that the browser passes to the payment "
            "provider"
        ),
        threat_action="pay less than the order total, or reuse one payment for several orders",
        threat_impact="goods and services delivered without full payment",
        impacted_goals=("integrity",),
        conditions=Conditions(targets=_EXTERNAL_SERVICE, technology_keywords=_PAYMENT_KEYWORDS),
        control=SuggestedControl(
            title="Create payments on the server and reconcile them before fulfilment",
            description=(
                "Set amount, currency and order reference on the server when creating the payment, and check "
                "the provider's confirmed amount against the order before fulfilling it."
            ),
            kind="preventive",
        ),
        references=("CWE-472", "CWE-602"),
    ),
    LibraryEntry(
        key="external-service-disputed-exchange",
        title="No evidence of what was exchanged with a provider",
        stride=("R",),
        threat_source="counterparty",
        prerequisites=(
            "who exchanges payments, orders or messages with the system through a third-party service"
        ),
        threat_action=(
            "deny having received or sent an instruction when no record on the organisation's side shows "
            "otherwise"
        ),
        threat_impact="disputes lost and reconciliation errors that cannot be resolved",
        impacted_goals=("non_repudiation",),
        conditions=Conditions(targets=_EXTERNAL_SERVICE),
        control=SuggestedControl(
            title="Keep timestamped records of every exchange with the provider",
            description=(
                "Record each request and response with the provider's reference, a timestamp and the "
                "outcome, keep provider-signed receipts where offered, and reconcile against the provider's "
                "reports every day."
            ),
            kind="detective",
        ),
        references=("CWE-778", "CWE-223"),
    ),
    LibraryEntry(
        key="external-service-oversharing",
        title="More personal data sent to a provider than it needs",
        stride=("I",),
        threat_source="compromised third-party service",
        prerequisites="that receives personal data with every request the system sends it",
        threat_action="expose the personal data it has accumulated in a breach at the provider",
        threat_impact="a personal-data breach the organisation still answers for as data controller",
        impacted_goals=("confidentiality",),
        conditions=Conditions(targets=_EXTERNAL_SERVICE),
        control=SuggestedControl(
            title="Minimise and pseudonymise the data sent to providers",
            description=(
                "Send only the fields the provider needs, replace identifiers with pseudonyms where "
                "possible, agree retention limits in the data-processing agreement, and review the data map "
                "every year."
            ),
            kind="preventive",
        ),
        references=("CWE-201",),
    ),
    LibraryEntry(
        key="external-service-outage",
        title="Dependency outage stops a critical user journey",
        stride=("D",),
        threat_source="third-party provider",
        prerequisites="on which user-facing requests wait synchronously",
        threat_action="stop responding, or respond very slowly, during an outage of its own",
        threat_impact="requests piling up, worker pools exhausted and the whole system unavailable",
        impacted_goals=("availability",),
        conditions=Conditions(targets=_EXTERNAL_SERVICE),
        control=SuggestedControl(
            title="Set timeouts and circuit breakers, and degrade gracefully",
            description=(
                "Call the provider with short connect and read timeouts, stop calling it through a circuit "
                "breaker while it fails, queue work that can wait, and decide what users see while it is "
                "down."
            ),
            kind="preventive",
        ),
        references=("CWE-1088",),
    ),
    LibraryEntry(
        key="external-service-quota-exhaustion",
        title="Paid provider quota or budget run down by abuse",
        stride=("D",),
        threat_source="external attacker",
        prerequisites=(
            "who can trigger calls to a metered provider through public features such as SMS verification or "
            "text generation"
        ),
        threat_action="drive those calls at volume until the quota is spent or the bill becomes unaffordable",
        threat_impact="the feature blocked for real users, and unexpected costs such as SMS pumping fraud",
        impacted_goals=("availability",),
        conditions=Conditions(targets=_EXTERNAL_SERVICE),
        control=SuggestedControl(
            title="Rate-limit features that cost money per call and cap provider spend",
            description=(
                "Rate-limit and challenge features that cost money per call, restrict destinations (country "
                "allow-lists for SMS, for example), and set provider-side spending caps with alerts."
            ),
            kind="preventive",
        ),
        references=("CWE-799",),
    ),
    LibraryEntry(
        key="external-service-overprivileged-integration",
        title="Integration granted broader access than it uses",
        stride=("E", "I"),
        threat_source="compromised third-party service",
        prerequisites="holding an OAuth grant or API token with broad scopes on the organisation's systems",
        threat_action="use the surplus scopes to read or change data far beyond what the integration needs",
        threat_impact="one supplier's breach becoming a breach of the organisation's own data",
        impacted_goals=("authorisation", "confidentiality"),
        conditions=Conditions(targets=_EXTERNAL_SERVICE),
        control=SuggestedControl(
            title="Grant integrations the narrowest scopes and review them",
            description=(
                "Request only the scopes each integration uses, prefer tokens limited to specific resources, "
                "let grants expire, and review connected applications and their scopes every quarter."
            ),
            kind="preventive",
        ),
        references=("CWE-1220",),
    ),
    # Data flows: data in transit, most of all where it crosses a trust boundary.
    LibraryEntry(
        key="flow-cleartext-sniffing",
        title="Traffic read in transit across an untrusted network",
        stride=("I",),
        threat_source="network attacker",
        prerequisites="positioned on a network segment, Wi-Fi network or provider path that the flow crosses",
        threat_action="capture the flow's traffic and read the credentials and data in it",
        threat_impact="disclosure of the data carried and of any credentials or session tokens in it",
        impacted_goals=("confidentiality",),
        conditions=Conditions(targets=_FLOW, crosses_boundary=True, encrypted=False),
        control=SuggestedControl(
            title="Enforce TLS 1.2 or later with certificate validation on this flow",
            description=(
                "Carry the flow over TLS 1.2+ with certificate validation, redirect and then refuse "
                "plain-text connections, and send HSTS for browser traffic."
            ),
            kind="preventive",
        ),
        references=("CWE-319", "CAPEC-157"),
    ),
    LibraryEntry(
        key="flow-adversary-in-the-middle-tampering",
        title="Traffic altered in transit by an adversary in the middle",
        stride=("T",),
        threat_source="network attacker",
        prerequisites=(
            "who can intercept and forward the flow's unencrypted traffic, through ARP spoofing or a rogue "
            "access point for example"
        ),
        threat_action=(
            "alter requests and responses in flight, changing amounts, injecting script or swapping download "
            "links"
        ),
        threat_impact=(
            "corrupted transactions and malicious content delivered as if from the genuine endpoint"
        ),
        impacted_goals=("integrity", "authenticity"),
        conditions=Conditions(targets=_FLOW, encrypted=False),
        control=SuggestedControl(
            title="Protect the flow with authenticated encryption",
            description=(
                "Carry the flow over TLS, or mutual TLS between services, so that any change in transit is "
                "detected and the connection dropped."
            ),
            kind="preventive",
        ),
        references=("CAPEC-94", "CWE-300"),
    ),
    LibraryEntry(
        key="flow-dns-spoofing",
        title="Flow redirected to an impostor through DNS spoofing",
        stride=("S",),
        threat_source="network attacker",
        prerequisites="who can poison a resolver's cache or answer DNS queries on the flow's network path",
        threat_action="direct the client to a host they control, which then poses as the genuine endpoint",
        threat_impact="the client sending its credentials and data to the attacker",
        impacted_goals=("authenticity", "confidentiality"),
        conditions=Conditions(targets=_FLOW, crosses_boundary=True, encrypted=False),
        control=SuggestedControl(
            title="Authenticate the endpoint with TLS certificates, not with DNS",
            description=(
                "Use TLS with certificate validation so that a spoofed address cannot present a valid "
                "certificate, and use DNSSEC-validating resolvers where the flow has to stay unencrypted."
            ),
            kind="preventive",
        ),
        references=("CAPEC-142", "CWE-290"),
    ),
    LibraryEntry(
        key="flow-certificate-not-validated",
        title="TLS used without certificate validation",
        stride=("S", "I"),
        threat_source="network attacker",
        prerequisites="who can intercept the flow and present a self-signed or mismatched certificate",
        threat_action=(
            "terminate the client's TLS connection and relay it onwards, because the client accepts any "
            "certificate"
        ),
        threat_impact="an encrypted flow that the interceptor can nonetheless read and modify",
        impacted_goals=("confidentiality", "integrity", "authenticity"),
        conditions=Conditions(targets=_FLOW, crosses_boundary=True, encrypted=True),
        control=SuggestedControl(
            title="Validate certificates and host names in every TLS client",
            description=(
                "Keep certificate and host-name verification on in every client (no verify=False or "
                "InsecureSkipVerify), trust only the intended CA bundle, and test that a wrong certificate "
                "is refused."
            ),
            kind="preventive",
        ),
        references=("CWE-295", "CWE-297"),
    ),
    LibraryEntry(
        key="flow-protocol-downgrade",
        title="Encryption weakened by a protocol or cipher downgrade",
        stride=("I",),
        threat_source="network attacker",
        prerequisites=(
            "on the path of a flow whose endpoints still accept obsolete TLS versions or cipher suites"
        ),
        threat_action=(
            "force the negotiation down to a weak protocol or cipher and then break or strip the encryption"
        ),
        threat_impact="disclosure of the data the flow was meant to protect",
        impacted_goals=("confidentiality",),
        conditions=Conditions(targets=_FLOW, crosses_boundary=True, encrypted=True),
        control=SuggestedControl(
            title="Disable legacy TLS versions and weak cipher suites",
            description=(
                "Accept only TLS 1.3 and TLS 1.2 with AEAD cipher suites, disable renegotiation and "
                "compression, and check the endpoints regularly with a TLS scanner."
            ),
            kind="preventive",
        ),
        references=("CWE-757", "CAPEC-620"),
    ),
    LibraryEntry(
        key="flow-unauthenticated-sender",
        title="Requests accepted from any caller that can reach the endpoint",
        stride=("S", "T"),
        threat_source="external attacker",
        prerequisites="who can reach the receiving end of a flow that does not authenticate its sender",
        threat_action="send requests that the receiver processes as if they came from the legitimate sender",
        threat_impact="data injected and operations triggered by an unknown party",
        impacted_goals=("authenticity", "integrity"),
        conditions=Conditions(targets=_FLOW, crosses_boundary=True, authenticated=False),
        control=SuggestedControl(
            title="Authenticate the sender on this flow",
            description=(
                "Require an authenticated identity for the sender: user sessions or OAuth tokens for "
                "clients, mutual TLS or signed service tokens between services."
            ),
            kind="preventive",
        ),
        references=("CWE-306",),
    ),
    LibraryEntry(
        key="flow-implicit-internal-trust",
        title="Internal calls trusted only because of where they come from",
        stride=("S", "E"),
        threat_source="intruder on an internal host",
        prerequisites=(
            "inside the same zone as a service that accepts unauthenticated calls from its neighbours"
        ),
        threat_action=(
            "call the service directly, bypassing the gateway that normally enforces authentication and "
            "authorisation"
        ),
        threat_impact="lateral movement from one compromised host to the data and functions of others",
        impacted_goals=("authorisation", "authenticity"),
        conditions=Conditions(targets=_FLOW, crosses_boundary=False, authenticated=False),
        control=SuggestedControl(
            title="Authenticate and authorise service-to-service calls",
            description=(
                "Give each workload an identity, require mutual TLS or signed tokens on internal calls, and "
                "check authorisation in the receiving service rather than only at the edge."
            ),
            kind="preventive",
        ),
        references=("CWE-291",),
    ),
    LibraryEntry(
        key="flow-internal-cleartext",
        title="Credentials captured from unencrypted internal traffic",
        stride=("I",),
        threat_source="intruder on an internal host",
        prerequisites="with a foothold on the network segment this flow uses, or access to a traffic mirror",
        threat_action=(
            "collect passwords, tokens and personal data from service-to-service traffic sent in clear text"
        ),
        threat_impact="credentials reused to move laterally, and internal data disclosed",
        impacted_goals=("confidentiality",),
        conditions=Conditions(targets=_FLOW, crosses_boundary=False, encrypted=False),
        control=SuggestedControl(
            title="Encrypt internal flows as well as external ones",
            description=(
                "Use TLS on internal connections (database, cache, broker and service calls), preferably "
                "through a service mesh or platform feature that encrypts east-west traffic by default."
            ),
            kind="preventive",
        ),
        references=("CWE-319",),
    ),
    LibraryEntry(
        key="flow-request-replay",
        title="Captured requests replayed",
        stride=("S", "T"),
        threat_source="external attacker",
        prerequisites=(
            "who obtains a copy of a valid authenticated request, from logs, a proxy or the client device"
        ),
        threat_action="resend the request to repeat the operation, such as a payment or an approval",
        threat_impact="duplicated transactions and actions performed without the sender's intent",
        impacted_goals=("integrity", "authenticity"),
        conditions=Conditions(targets=_FLOW, crosses_boundary=True, authenticated=True),
        control=SuggestedControl(
            title="Make requests single-use with nonces, timestamps and idempotency keys",
            description=(
                "Include a timestamp and nonce in signed requests and reject stale or repeated ones, and "
                "give state-changing operations idempotency keys that the receiver remembers."
            ),
            kind="preventive",
        ),
        references=("CWE-294", "CAPEC-60"),
    ),
    LibraryEntry(
        key="flow-confused-deputy",
        title="Downstream call made with the service's privileges rather than the user's",
        stride=("E",),
        threat_source="authenticated user",
        prerequisites=(
            "whose request a service forwards downstream with its own broad credentials instead of the "
            "user's identity"
        ),
        threat_action="have the downstream service act on resources the user could not reach directly",
        threat_impact="users reading or changing data beyond their rights through an intermediary",
        impacted_goals=("authorisation",),
        conditions=Conditions(targets=_FLOW, authenticated=True),
        control=SuggestedControl(
            title="Propagate the end user's identity and authorise at every hop",
            description=(
                "Pass a token that represents the end user (OAuth token exchange or an on-behalf-of flow) "
                "and authorise the user, not only the calling service, in the downstream service."
            ),
            kind="preventive",
        ),
        references=("CWE-441",),
    ),
    LibraryEntry(
        key="flow-volumetric-flood",
        title="Flow saturated by a volumetric denial-of-service attack",
        stride=("D",),
        threat_source="botnet operator",
        prerequisites="with enough traffic capacity to exceed the flow's bandwidth or connection limits",
        threat_action="flood the receiving endpoint with packets or connections",
        threat_impact="legitimate traffic dropped and the service unreachable",
        impacted_goals=("availability",),
        conditions=Conditions(targets=_FLOW, crosses_boundary=True),
        control=SuggestedControl(
            title="Put DDoS protection and rate limits in front of public endpoints",
            description=(
                "Route internet-facing flows through a provider with DDoS mitigation, enforce connection and "
                "request rate limits at the edge, and rehearse the response runbook."
            ),
            kind="preventive",
        ),
        references=("CAPEC-125", "CWE-400"),
    ),
    LibraryEntry(
        key="flow-slow-http",
        title="Slow HTTP requests hold connections open",
        stride=("D",),
        threat_source="external attacker",
        prerequisites="who can open many connections to the HTTP endpoint",
        threat_action=(
            "send headers or bodies a few bytes at a time so that each connection occupies a server worker"
        ),
        threat_impact="connection pools exhausted and the service unavailable with very little traffic",
        impacted_goals=("availability",),
        conditions=Conditions(targets=_FLOW, crosses_boundary=True, technology_keywords=_HTTP_KEYWORDS),
        control=SuggestedControl(
            title="Terminate HTTP at a buffering proxy with strict timeouts",
            description=(
                "Put an event-driven reverse proxy in front of application workers, set header and body read "
                "timeouts and minimum data rates, and limit connections per client."
            ),
            kind="preventive",
        ),
        references=("CAPEC-469", "CWE-400"),
    ),
    LibraryEntry(
        key="flow-request-smuggling",
        title="HTTP request smuggling between proxy and back end",
        stride=("T", "S"),
        threat_source="external attacker",
        prerequisites=(
            "who can send requests through a front-end proxy that disagrees with the back end about where a "
            "request ends"
        ),
        threat_action=(
            "smuggle a hidden request that is prefixed to another user's request or slips past the proxy's "
            "checks"
        ),
        threat_impact="other users' responses captured and the proxy's access controls bypassed",
        impacted_goals=("integrity", "confidentiality", "authorisation"),
        conditions=Conditions(targets=_FLOW, crosses_boundary=True, technology_keywords=_HTTP_KEYWORDS),
        control=SuggestedControl(
            title="Normalise HTTP at the edge and reject ambiguous requests",
            description=(
                "Use HTTP/2 end to end where possible, have the proxy reject requests with both "
                "Content-Length and Transfer-Encoding or with malformed framing, and keep proxy and server "
                "patched."
            ),
            kind="preventive",
        ),
        references=("CWE-444", "CAPEC-33"),
    ),
    LibraryEntry(
        key="flow-secrets-in-urls",
        title="Secrets carried in URLs leak through logs and referrers",
        stride=("I",),
        threat_source="insider or third party",
        prerequisites=(
            "with access to proxy, server or analytics logs, or to pages that the application links to"
        ),
        threat_action="read tokens, reset codes or personal data that the flow carries in URL query strings",
        threat_impact="account takeover and personal data disclosed through routine logs",
        impacted_goals=("confidentiality",),
        conditions=Conditions(targets=_FLOW, technology_keywords=_HTTP_KEYWORDS),
        control=SuggestedControl(
            title="Keep secrets out of URLs",
            description=(
                "Send tokens in headers or request bodies, make any token that must appear in a link "
                "single-use and short-lived, and set Referrer-Policy to strict-origin-when-cross-origin or "
                "stricter."
            ),
            kind="preventive",
        ),
        references=("CWE-598",),
    ),
    LibraryEntry(
        key="flow-cross-site-websocket-hijacking",
        title="Cross-site WebSocket hijacking",
        stride=("S", "I"),
        threat_source="malicious website operator",
        prerequisites=(
            "whose page is opened by a user who is signed in to an application that accepts WebSocket "
            "connections"
        ),
        threat_action=(
            "open a WebSocket to the application from the victim's browser, authenticated by the victim's "
            "cookies"
        ),
        threat_impact="the victim's real-time data read and messages sent in their name",
        impacted_goals=("confidentiality", "authenticity"),
        conditions=Conditions(targets=_FLOW, crosses_boundary=True, technology_keywords=_WEBSOCKET_KEYWORDS),
        control=SuggestedControl(
            title="Check the Origin header on WebSocket handshakes",
            description=(
                "Accept WebSocket upgrades only from allow-listed origins, and authenticate the connection "
                "with a token sent after connecting rather than with cookies alone."
            ),
            kind="preventive",
        ),
        references=("CWE-1385",),
    ),
    LibraryEntry(
        key="flow-batch-file-tampering",
        title="Batch files altered in transit or at the drop location",
        stride=("T",),
        threat_source="intruder or insider",
        prerequisites=(
            "with write access to the transfer server or staging folder that a file exchange passes through"
        ),
        threat_action=(
            "alter or replace a batch file, such as a payment run, before the receiving system picks it up"
        ),
        threat_impact="fraudulent payments or corrupted records processed automatically",
        impacted_goals=("integrity",),
        conditions=Conditions(targets=_FLOW, technology_keywords=_FILE_TRANSFER_KEYWORDS),
        control=SuggestedControl(
            title="Sign files end to end and verify them before processing",
            description=(
                "Have the producer sign each file or send a keyed checksum separately, verify it and the "
                "expected record count before processing, and restrict write access to the drop location."
            ),
            kind="preventive",
        ),
        references=("CWE-353", "CWE-345"),
    ),
    LibraryEntry(
        key="flow-unsigned-messages-repudiation",
        title="Sender denies messages that carry no proof of origin",
        stride=("R",),
        threat_source="business partner",
        prerequisites=(
            "who exchanges orders or instructions with the system over a flow without message signatures"
        ),
        threat_action=(
            "deny having sent a message, or claim that its contents were different, once that suits them"
        ),
        threat_impact="disputed orders and payments that the organisation cannot prove",
        impacted_goals=("non_repudiation",),
        conditions=Conditions(targets=_FLOW, crosses_boundary=True),
        control=SuggestedControl(
            title="Sign messages and keep signed receipts",
            description=(
                "Have the sender sign each message (JWS, or AS2 with signed receipts), verify and store the "
                "signed original with a timestamp, and return a signed acknowledgement."
            ),
            kind="preventive",
        ),
        references=("CWE-345",),
    ),
)

_BY_KEY: dict[str, LibraryEntry] = {library_entry.key: library_entry for library_entry in LIBRARY}


def entry(key: str) -> LibraryEntry:
    """The entry with this key; KeyError when the library has none."""
    return _BY_KEY[key]


def applicable(target: Target) -> list[LibraryEntry]:
    """The entries whose conditions all hold for the target, in library order."""
    return [library_entry for library_entry in LIBRARY if _holds(library_entry.conditions, target)]


def _holds(conditions: Conditions, target: Target) -> bool:
    if target.kind not in conditions.targets:
        return False
    flow_conditions = (
        (conditions.crosses_boundary, target.crosses_boundary),
        (conditions.encrypted, target.encrypted),
        (conditions.authenticated, target.authenticated),
    )
    if any(wanted is not None and wanted != actual for wanted, actual in flow_conditions):
        return False
    if not conditions.technology_keywords:
        return True
    technology = target.technology.casefold()
    return any(keyword in technology for keyword in conditions.technology_keywords)
