# 225: date julian
require ["fileinto", "date", "variables"];
if date :originalzone :matches "date" "julian" "*" { fileinto "mjd${1}"; }
