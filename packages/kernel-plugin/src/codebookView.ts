import { randomBytes } from 'node:crypto';
import type { ChunkPosition } from './types';

/** Input of the interactive codebook view: the token occurrences of a set of networks, and optionally each code's decoded chunk. */
export interface CodebookViewData {
  codebookSize: number;
  /** One entry per tokenized chunk: which network (and task) it belongs to, where it sits, and its codes. */
  chunks: Array<{ network?: string; task?: string; position: ChunkPosition; codes: number[] }>;
  /** decoded[code] = the weight values the code decodes to (one chunk), e.g. from the VQ-VAE decoder. */
  decoded?: number[][];
}

/** Per-code summary the view draws from (computed here, so the page only looks things up). */
export interface CodebookSummary {
  codebookSize: number;
  layers: number[];
  tasks: string[];
  counts: number[];            // (codes,)
  perLayer: number[][];        // (layers, codes)
  perTask: number[][];         // (tasks, codes)
  occurrences: Array<Array<{ network: string; layer: number; tensor: string; chunk: number; offset: number }>>; // per code, first `maxOccurrences`
  decoded?: number[][];
}

/** Count how each code is used: overall, per layer, per task, and where (first `maxOccurrences` chunks per code). */
export function summarizeCodebook(data: CodebookViewData, opts: { maxOccurrences?: number } = {}): CodebookSummary {
  const C = data.codebookSize;
  if (!Number.isInteger(C) || C <= 0) throw new Error(`codebookView: codebookSize must be a positive integer, got ${C}`);
  if (data.decoded && data.decoded.length !== C) throw new Error(`codebookView: decoded has ${data.decoded.length} rows but the codebook has ${C} codes`);
  const maxOcc = opts.maxOccurrences ?? 50;
  const layers = [...new Set(data.chunks.map((c) => c.position.layer))].sort((a, b) => a - b);
  const tasks = [...new Set(data.chunks.map((c) => c.task ?? 'unknown'))].sort();
  const counts = new Array<number>(C).fill(0);
  const perLayer = layers.map(() => new Array<number>(C).fill(0));
  const perTask = tasks.map(() => new Array<number>(C).fill(0));
  const occurrences: CodebookSummary['occurrences'] = Array.from({ length: C }, () => []);
  const li = new Map(layers.map((l, i) => [l, i])), ti = new Map(tasks.map((t, i) => [t, i]));
  data.chunks.forEach((c, n) => {
    for (const code of c.codes) {
      if (!Number.isInteger(code) || code < 0 || code >= C) throw new Error(`codebookView: chunk ${n} has code ${code}, outside [0, ${C})`);
      counts[code]++;
      perLayer[li.get(c.position.layer)!][code]++;
      perTask[ti.get(c.task ?? 'unknown')!][code]++;
      if (occurrences[code].length < maxOcc) {
        occurrences[code].push({ network: c.network ?? 'network', layer: c.position.layer, tensor: String(c.position.tensorName ?? c.position.tensor), chunk: c.position.chunk, offset: c.position.offset });
      }
    }
  });
  return { codebookSize: C, layers, tasks, counts, perLayer, perTask, occurrences, decoded: data.decoded };
}

/**
 * Interactive codebook view as self-contained HTML (needs window.Plotly: `showHtml` in a notebook inlines it, the
 * dashboard serves it). Click a code's bar (or pick it in the box) to see which layers and chunks use it, the weight
 * pattern it decodes to, and how often each task uses it; the layer filter restricts the usage bars to one layer.
 * `window.__igpgCodebook[id]` exposes `{ select(code), setLayer(layer | 'all'), selected() }`.
 * @example showHtml(codebookView({ codebookSize: 64, chunks, decoded }))
 */
export function codebookView(data: CodebookViewData, opts: { id?: string; maxOccurrences?: number } = {}): string {
  const id = opts.id ?? `cb-${randomBytes(5).toString('hex')}`;
  const s = JSON.stringify(summarizeCodebook(data, opts)).replace(/<\/script/gi, '<\\/script');
  return `<div id="${id}" class="igpg-codebook" style="font-family:system-ui,sans-serif;font-size:13px">
<div style="display:flex;gap:12px;align-items:center;margin:4px 0">
<label>layer <select id="${id}-layer"><option value="all">all</option></select></label>
<label>code <input id="${id}-code" type="number" min="0" style="width:6em"></label><span id="${id}-info"></span></div>
<div id="${id}-usage" style="height:260px"></div>
<div style="display:grid;grid-template-columns:1fr 1fr 1fr;gap:6px">
<div id="${id}-layers" style="height:240px"></div><div id="${id}-pattern" style="height:240px"></div><div id="${id}-tasks" style="height:240px"></div></div>
<div id="${id}-where" style="max-height:180px;overflow:auto"></div></div>
<script>(function(){
var S=${s}, id=${JSON.stringify(id)}, layer='all', code=null, P=function(){return window.Plotly;};
var m={margin:{l:45,r:10,t:30,b:35}};
var el=function(s){return document.getElementById(id+'-'+s);};
S.layers.forEach(function(l){var o=document.createElement('option');o.value=l;o.textContent='layer '+l;el('layer').appendChild(o);});
function usage(){var y=layer==='all'?S.counts:S.perLayer[S.layers.indexOf(Number(layer))];
  var col=y.map(function(_,k){return k===code?'#d1603d':'#3b6ea8';});
  P().react(el('usage'),[{type:'bar',x:y.map(function(_,k){return k;}),y:y,marker:{color:col},hovertemplate:'code %{x}: %{y} uses<extra></extra>'}],
    Object.assign({},m,{title:{text:'Code usage ('+(layer==='all'?'all layers':'layer '+layer)+'), click a bar'},bargap:0.05,xaxis:{title:{text:'code'}}}));}
function detail(){
  if(code===null)return;
  el('code').value=code;
  P().react(el('layers'),[{type:'bar',x:S.layers.map(function(l){return 'L'+l;}),y:S.perLayer.map(function(r){return r[code];})}],Object.assign({},m,{title:{text:'code '+code+': uses per layer'}}));
  var d=S.decoded&&S.decoded[code];
  P().react(el('pattern'),d?[{type:'scatter',mode:'lines',y:d}]:[],Object.assign({},m,{title:{text:d?'decoded chunk of code '+code:'no decoded chunks given'}}));
  P().react(el('tasks'),[{type:'bar',x:S.tasks,y:S.perTask.map(function(r){return r[code];})}],Object.assign({},m,{title:{text:'uses per task'}}));
  var occ=S.occurrences[code].filter(function(o){return layer==='all'||o.layer===Number(layer);});
  el('info').textContent='code '+code+': '+S.counts[code]+' uses in '+S.perLayer.filter(function(r){return r[code]>0;}).length+' layers';
  el('where').innerHTML='<table><tr><th>network</th><th>layer</th><th>tensor</th><th>chunk</th><th>offset</th></tr>'+occ.map(function(o){
    return '<tr><td>'+esc(o.network)+'</td><td>'+o.layer+'</td><td>'+esc(o.tensor)+'</td><td>'+o.chunk+'</td><td>'+o.offset+'</td></tr>';}).join('')+'</table>';}
function esc(t){return String(t).replace(/[<>&"]/g,function(c){return '&#'+c.charCodeAt(0)+';';});}
function select(k){k=Number(k);if(!(k>=0&&k<S.codebookSize))return;code=k;usage();detail();}
function setLayer(l){layer=String(l);el('layer').value=layer;usage();detail();}
function init(n){if(!P()){if(n<200)setTimeout(function(){init(n+1);},50);return;}
  usage();el('usage').on('plotly_click',function(e){if(e.points&&e.points.length)select(e.points[0].x);});
  el('layer').onchange=function(){setLayer(this.value);};el('code').onchange=function(){select(this.value);};
  var best=S.counts.indexOf(Math.max.apply(null,S.counts));select(best);}
(window.__igpgCodebook=window.__igpgCodebook||{})[id]={select:select,setLayer:setLayer,selected:function(){return code;}};
init(0);})();</script>`;
}
