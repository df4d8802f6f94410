# 434: :count on address over headers with groups and bad entries
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if address :count "ge" :comparator "i;ascii-numeric" ["to", "cc", "bcc"] "5" { fileinto "GE5"; } else { fileinto "LT5"; }
