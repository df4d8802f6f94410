# 146: :count exists-style: From occurs once
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :count "eq" :comparator "i;ascii-numeric" "from" "1" { fileinto "Once"; }
