# 067: unknown escape in a quoted string drops the backslash
require "fileinto";
if header :is "subject" "Meeting \on Tuesday" { fileinto "Unescaped"; }
