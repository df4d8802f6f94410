# 231: date without a day-of-week and with a two-digit year
require ["fileinto", "date", "variables"];
if date :originalzone :matches "date" "date" "*" { fileinto "${1}"; }
