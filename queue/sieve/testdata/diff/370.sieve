# 370: match variables in a :matches key are expanded first
require ["fileinto", "variables"];
set "word" "Tuesday";
if header :matches "subject" "* on ${word}" { fileinto "Key-${1}"; }
