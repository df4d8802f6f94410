# 166: ${0} is the whole match
require ["fileinto", "variables"];
if header :matches "subject" "Meeting*" { fileinto "all-${0}"; }
