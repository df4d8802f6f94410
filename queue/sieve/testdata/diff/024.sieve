# 024: elsif chain falls to else
require "fileinto";
if false { fileinto "A"; } elsif false { fileinto "B"; } else { fileinto "Else"; }
