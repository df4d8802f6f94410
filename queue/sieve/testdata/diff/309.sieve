# 309: regex ${0} is the whole match
require ["fileinto", "regex", "variables"];
if header :regex "subject" "T[a-z]+" { fileinto "w-${0}"; }
