# 466: date :value with relational on hour
require ["fileinto", "date", "relational", "comparator-i;ascii-numeric"];
if date :originalzone :value "lt" :comparator "i;ascii-numeric" "date" "hour" "12" { fileinto "Morning"; }
