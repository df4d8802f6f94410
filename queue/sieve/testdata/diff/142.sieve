# 142: :count of Received headers
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :count "eq" :comparator "i;ascii-numeric" "received" "2" { fileinto "Two"; }
