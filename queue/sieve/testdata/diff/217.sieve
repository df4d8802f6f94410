# 217: date hour in the original zone
require ["fileinto", "date", "variables"];
if date :originalzone :matches "date" "hour" "*" { fileinto "h${1}"; }
