# 046: header :matches ** and ?*
require "fileinto";
if header :matches "subject" "**Tues*?" { fileinto "Yes"; }
