# 138: :value numeric prefix: '3 (Normal)' is 3
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :value "eq" :comparator "i;ascii-numeric" "x-priority" "3" { fileinto "Three"; }
