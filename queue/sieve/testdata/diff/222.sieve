# 222: date weekday (0 = Sunday)
require ["fileinto", "date", "variables"];
if date :originalzone :matches "date" "weekday" "*" { fileinto "wd${1}"; }
