# 139: :value numeric beyond 64 bits
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :value "gt" :comparator "i;ascii-numeric" "x-big" "18446744073709551616" { fileinto "Bigger"; } else { fileinto "No"; }
