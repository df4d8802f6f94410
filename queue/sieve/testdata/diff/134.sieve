# 134: :value ne
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :value "ne" :comparator "i;ascii-numeric" "x-count" "8" { fileinto "NotEight"; }
