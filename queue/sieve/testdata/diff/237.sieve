# 237: currentdate iso8601 shape
require ["fileinto", "date", "variables"];
if currentdate :zone "+0000" :matches "iso8601" "20??-??-??T??:??:??Z" { fileinto "Iso"; } else { fileinto "NotIso"; }
