# 442: variables: ${1} after regex then :matches
require ["fileinto", "regex", "variables"];
if header :regex "subject" "(Meet)ing" { set "a" "${1}"; }
if header :matches "from" "* <*>" { set "b" "${2}"; }
fileinto "${a}-${b}";
