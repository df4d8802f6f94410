# 135: :value gt with a non-numeric value: positive infinity (RFC 4790 §9.1.1)
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :value "gt" :comparator "i;ascii-numeric" "x-word" "99999" { fileinto "Inf"; } else { fileinto "NotInf"; }
