# 136: :value eq two non-numeric values are equal
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :value "eq" :comparator "i;ascii-numeric" "x-word" "xyz" { fileinto "BothInf"; } else { fileinto "No"; }
