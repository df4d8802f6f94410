# 438: regex with a variable in the pattern
require ["fileinto", "regex", "variables"];
set "day" "Tues";
if header :regex "subject" "${day}day$" { fileinto "VarRx"; }
