# 308: regex groups set match variables
require ["fileinto", "regex", "variables"];
if header :regex "subject" "^([A-Za-z]+) on ([A-Za-z]+)$" { fileinto "${2}-${1}"; }
