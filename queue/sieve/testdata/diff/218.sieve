# 218: date hour converted with :zone
require ["fileinto", "date", "variables"];
if date :zone "+0000" :matches "date" "hour" "*" { fileinto "utc${1}"; }
