# 238: date default zone (local time, TZ=UTC)
require ["fileinto", "date", "variables"];
if date :matches "date" "hour" "*" { fileinto "local${1}"; }
