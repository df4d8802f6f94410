# 170: match variable beyond the wildcards is empty
require ["fileinto", "variables"];
if header :matches "subject" "*Tuesday" { fileinto "[${1}][${5}]"; }
