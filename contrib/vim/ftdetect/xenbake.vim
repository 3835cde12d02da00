" SPDX-License-Identifier: MIT
" *.xb files are xenbake sources
autocmd BufRead,BufNewFile *.xb setfiletype xenbake
