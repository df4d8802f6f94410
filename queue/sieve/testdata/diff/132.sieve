# 132: :value ge and le at the boundary
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :value "ge" :comparator "i;ascii-numeric" "x-spam-score" "12" { fileinto "GE"; }
if header :value "le" :comparator "i;ascii-numeric" "x-spam-score" "12" { fileinto "LE"; }
