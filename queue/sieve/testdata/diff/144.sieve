# 144: :count over two header names
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :count "ge" :comparator "i;ascii-numeric" ["from", "to"] "3" { fileinto "GE3"; } else { fileinto "LT3"; }
