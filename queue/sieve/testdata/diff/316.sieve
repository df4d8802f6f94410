# 316: regex unmatched optional group is empty
require ["fileinto", "regex", "variables"];
if header :regex "subject" "^(Meeting)( at)?" { fileinto "[${1}][${2}]"; }
