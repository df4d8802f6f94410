# 148: relational with a bad operator is invalid
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :value "bigger" "x" "1" { keep; }
