# 223: date iso8601
require ["fileinto", "date", "variables"];
if date :zone "+0000" :matches "date" "iso8601" "*" { fileinto "${1}"; }
