# 219: date :zone crossing the day boundary
require ["fileinto", "date", "variables"];
if date :zone "-1000" :matches "date" "date" "*" { fileinto "${1}"; }
