"""The risk engines: pure Python and numpy, with no Django import anywhere below this package.

- levels, matrix: the five qualitative levels, scales and the likelihood-by-impact lookup table;
- owasp: the OWASP Risk Rating Methodology;
- cvss_scores: CVSS v3.1 and v4.0 base scores, informative on a threat;
- distributions, fair, losses: FAIR-style Monte Carlo of annual loss (see fair's method note);
- planner: ranking proposed controls by return and knowing where to stop;
- scenario, calculator: the risk calculator's input and output, shared by the command and the API.
"""
