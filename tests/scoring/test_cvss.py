import pytest

from risks.scoring.cvss_scores import CvssVectorError, score_vector, suggested_likelihood
from risks.scoring.levels import Level

# FIRST's "CVSS v3.1 Examples" (first.org/cvss/v3.1/examples): vector and published base score. Taken as
# listed, with their first.org anchors, in the test suite of the cvss-rs crate (scm-rs/cvss-rs).
FIRST_V3_1_EXAMPLES = [
    ("CVE-2013-0375 MySQL stored SQL injection", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4, "medium"),
    ("CVE-2014-3566 SSLv3 POODLE", "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1, "low"),
    ("CVE-2009-0783 Apache Tomcat XML parser", "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L", 4.2, "medium"),
    ("CVE-2012-0384 Cisco IOS command execution", "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2, "high"),
    ("CVE-2015-1098 Apple iWork denial of service", "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.8, "high"),
    ("CVE-2014-0160 OpenSSL Heartbleed", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5, "high"),
    ("CVE-2008-1447 DNS Kaminsky bug", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N", 6.8, "medium"),
    ("CVE-2014-2005 Sophos login screen bypass", "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 6.8, "medium"),
    ("CVE-2010-0467 Joomla directory traversal", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N", 5.8, "medium"),
    ("CVE-2012-1342 Cisco access control bypass", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:L/A:N", 5.8, "medium"),
    ("CVE-2013-6014 Juniper proxy ARP DoS", "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:H", 9.3, "critical"),
    ("CVE-2011-1265 Windows Bluetooth RCE", "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.8, "high"),
    ("CVE-2014-2019 Apple iOS control bypass", "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N", 4.6, "medium"),
    ("CVE-2015-0970 SearchBlox CSRF", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8, "high"),
    ("CVE-2014-0224 SSL/TLS MITM", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N", 7.4, "high"),
    ("CVE-2012-5376 Chrome sandbox bypass", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H", 9.6, "critical"),
    ("CVE-2016-0128 Badlock", "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:N", 6.8, "medium"),
    ("CVE-2016-2118 Badlock", "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.5, "high"),
    ("CVE-2019-7551 Cantemo stored XSS", "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:H/I:H/A:H", 9.0, "critical"),
    ("CVE-2017-5942 WordPress mail plugin XSS", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "medium"),
    ("CVE-2016-5558 Oracle Outside In RCE", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:L/A:L", 8.6, "high"),
    ("CVE-2016-5729 Lenovo ThinkPwn", "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H", 8.2, "high"),
    ("CVE-2015-2890 flash not locked on resume", "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:N/I:H/A:H", 6.0, "medium"),
    ("CVE-2018-3652 Intel DCI", "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 7.6, "high"),
    ("CVE-2019-0884 scripting engine memory corruption", "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N", 4.2, "medium"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("vector", "score", "severity"),
    [e[1:] for e in FIRST_V3_1_EXAMPLES],
    ids=[e[0] for e in FIRST_V3_1_EXAMPLES],
)
def test_it_scores_firsts_cvss_3_1_examples(vector: str, score: float, severity: str) -> None:
    result = score_vector(vector)
    assert (result.version, result.base_score, result.severity) == ("3.1", score, severity)


# CVSS v4.0 reference values as FIRST's calculator gives them (and other implementations' tests quote them):
# FIRST publishes no table of v4.0 example scores like the v3.1 one.
@pytest.mark.parametrize(
    ("vector", "score", "severity"),
    [
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3, "critical"),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 10.0, "critical"),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N", 6.9, "medium"),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:N/VI:L/VA:N/SC:N/SI:N/SA:N", 5.3, "medium"),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0.0, "none"),
    ],
)
def test_it_scores_cvss_4_0_vectors(vector: str, score: float, severity: str) -> None:
    result = score_vector(vector)
    assert (result.version, result.base_score, result.severity) == ("4.0", score, severity)


@pytest.mark.parametrize(
    "vector",
    [
        "",
        "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Q",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:H",
        "CVSS:4.0/AV:N/AC:L",
        "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
    ],
)
def test_a_malformed_vector_is_refused(vector: str) -> None:
    with pytest.raises(CvssVectorError):
        score_vector(vector)


@pytest.mark.parametrize(
    ("vector", "likelihood"),
    [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", Level.VERY_LOW),
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", Level.LOW),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", Level.MODERATE),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", Level.HIGH),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Level.VERY_HIGH),
    ],
)
def test_a_score_suggests_a_likelihood_one_level_per_severity_band(vector: str, likelihood: Level) -> None:
    assert suggested_likelihood(score_vector(vector)) == likelihood
