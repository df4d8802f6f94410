# 505: i;ascii-casemap orders after mapping to upper case (RFC 4790 §9.2.1)
require ["fileinto", "relational"];
if header :value "lt" "x-char" "_" { fileinto "Less"; } else { fileinto "NotLess"; }
