# 094: address :count over To and Cc with a group
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if address :count "eq" :comparator "i;ascii-numeric" ["to", "cc"] "3" { fileinto "Three"; }
elsif address :count "eq" :comparator "i;ascii-numeric" ["to", "cc"] "4" { fileinto "Four"; }
else { fileinto "Other"; }
