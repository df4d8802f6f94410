# 468: date year of a 19xx two-digit year (RFC 5322 §4.3)
require ["fileinto", "date", "variables"];
if date :originalzone :matches "date" "year" "*" { fileinto "y${1}"; }
