# 436: :value "eq" with an empty value and i;ascii-numeric
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :value "eq" :comparator "i;ascii-numeric" "x-empty" "" { fileinto "BothInf"; } else { fileinto "No"; }
