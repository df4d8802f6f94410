# 150: i;ascii-numeric :is compares numbers
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :is :comparator "i;ascii-numeric" "x-count" "7" { fileinto "Is7"; }
