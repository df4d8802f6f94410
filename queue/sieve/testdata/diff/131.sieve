# 131: :value lt numeric is false
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :value "lt" :comparator "i;ascii-numeric" "x-spam-score" "10" { fileinto "Low"; } else { fileinto "High"; }
