# 133: :value eq with leading zeros
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :value "eq" :comparator "i;ascii-numeric" "x-count" "7" { fileinto "Seven"; }
