# 060: RFC 2047 :matches with a non-ASCII character and ?
require "fileinto";
if header :matches "subject" "Re: F?r dich ?" { fileinto "One char"; } else { fileinto "No"; }
