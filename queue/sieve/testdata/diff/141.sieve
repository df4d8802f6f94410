# 141: :value lt string order
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :value "lt" "subject" "N" { fileinto "BeforeN"; }
