# 469: date :count of Received dates
require ["fileinto", "date", "relational", "comparator-i;ascii-numeric"];
if date :count "eq" :comparator "i;ascii-numeric" "date" "year" "1" { fileinto "One"; }
